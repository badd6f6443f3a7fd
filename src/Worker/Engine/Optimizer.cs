namespace Experiments.Worker.Engine;

public enum OptimizerKind { Adam = 0, Sgd = 1 }

/// <summary>A torch.optim optimizer over all of a model's parameters.</summary>
public sealed class Optimizer : IDisposable
{
    private Optimizer(OptimizerHandle handle, double learningRate) { Handle = handle; LearningRate = learningRate; }

    internal OptimizerHandle Handle { get; }
    public double LearningRate { get; private set; }

    public static Optimizer Create(Model model, OptimizerSettings settings) =>
        new(NativeMethods.Check(NativeMethods.Exp_optimizer_create(model.Handle, (int)settings.Kind, settings.LearningRate, settings.Momentum,
            settings.WeightDecay, settings.Beta1, settings.Beta2, settings.Epsilon, settings.Nesterov ? 1 : 0)), settings.LearningRate);

    public void SetLearningRate(double learningRate)
    {
        NativeMethods.Check(NativeMethods.Exp_optimizer_set_learning_rate(Handle, learningRate));
        LearningRate = learningRate;
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// torch.optim's settings. Weight decay is L2 added to the gradient, as in <c>torch.optim.Adam(weight_decay=…)</c>;
/// Momentum and Nesterov apply to SGD, the betas and epsilon to Adam.
/// </summary>
public sealed record OptimizerSettings(
    OptimizerKind Kind = OptimizerKind.Adam,
    double LearningRate = 1e-3,
    double WeightDecay = 0,
    double Momentum = 0.9,
    bool Nesterov = false,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8);
