using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Worker.Tests.Support;

/// <summary>
/// A built-in architecture trained briefly on the real MNIST digits (<see cref="RealMnist"/>), for class fixtures.
/// A positive <c>trainImages</c> keeps only that many training images, and a tenth as many validation and test
/// images, so a large model stays quick to train.
/// </summary>
public abstract class TrainedOnRealMnist : IDisposable
{
    protected TrainedOnRealMnist(string architecture, int epochs, int trainImages = 0)
    {
        var all = new RealMnist().Load();
        Data = trainImages > 0
            ? new DatasetSplits(all.Train.Take(trainImages), all.Validation.Take(trainImages / 10), all.Test.Take(trainImages / 10))
            : all;
        Model = Model.Create(ShapeInference.Plan(ArchitectureCatalog.Resolve(architecture)), seed: 1);
        var settings = new TrainingSettings { Epochs = epochs, BatchSize = 64, Seed = 1, EvaluateBeforeTraining = false, TrainEvaluationSample = 0 };
        Result = new Trainer(settings).Run(Model, Data);
    }

    public DatasetSplits Data { get; }
    public Model Model { get; }
    public TrainingResult Result { get; }

    public void Dispose() => Model.Dispose();
}
