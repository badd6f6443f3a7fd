using Experiments.Datasets;
using Experiments.Worker.Engine;
using Experiments.Worker.Node;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// Which failures are the worker's (its data, its device, its memory: the worker quarantines itself and the trial goes
/// to another worker) and which are the trial's own (retried within max_attempts, then failed), per issue #10.
/// </summary>
public class Telling_a_workers_faults_from_a_trials
{
    [Fact]
    public void Data_that_cannot_be_loaded_a_device_error_and_running_out_of_memory_are_the_workers_faults()
    {
        var missing = new WorkerEnvironmentException("the mnist data could not be loaded on node-3: no such file",
            new DatasetException("no such file"));

        Assert.Equal("the mnist data could not be loaded on node-3: no such file", EnvironmentFaults.Describe(missing));
        Assert.Equal("out of memory: CUDA out of memory. Tried to allocate 2.00 GiB",
            EnvironmentFaults.Describe(new EngineOutOfMemoryException("CUDA out of memory. Tried to allocate 2.00 GiB")));
        Assert.Equal("out of memory: Array dimensions exceeded supported range.",
            EnvironmentFaults.Describe(new OutOfMemoryException("Array dimensions exceeded supported range.")));
        Assert.Equal("device error: CUDA error: an illegal memory access was encountered",
            EnvironmentFaults.Describe(new NativeEngineException("CUDA error: an illegal memory access was encountered")));
    }

    [Fact]
    public void An_architecture_that_does_not_fit_its_input_and_other_errors_are_the_trials_own()
    {
        Assert.Null(EnvironmentFaults.Describe(new NativeEngineException("mat1 and mat2 shapes cannot be multiplied (32x400 and 256x10)")));
        Assert.Null(EnvironmentFaults.Describe(new ArgumentException("kernel 5 is larger than the 4x4 input of layer 3")));
        Assert.Null(EnvironmentFaults.Describe(new InvalidOperationException("the optimizer state does not match the model")));
    }
}
