using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Devices;

/// <summary>
/// The launch profile counts what a step asks of the device: every kernel launch with its
/// work-items, the GEMMs' FLOPs, bytes each way and synchronisations; a dry run counts the same
/// launches without running them (the launch sequence never depends on the data).
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class LaunchProfileTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Fact]
    public void ADryRunCountsTheLaunchesARealRunMakes()
    {
        using var kernels = ExecutionPaths.Override(hostPath: false);
        var real = ProfileStep(execute: true);
        var dry = ProfileStep(execute: false);
        Assert.Equal(real.Launches.Select(l => (l.Kernel, l.WorkItems, l.Flops)), dry.Launches.Select(l => (l.Kernel, l.WorkItems, l.Flops)));
        var summary = real.Report();
        // Two 3x3 convolutions (8 -> 16 -> 16 channels on 4 images of 12x12): forward, input and weight gradients; the linear layer's three products.
        double convFlops = 2.0 * 4 * 12 * 12 * 9 * (8 * 16 + 16 * 16);
        double linearFlops = 2.0 * 4 * 10 * 16 * 12 * 12;
        // As implicit GEMM (a GPU), each weight gradient has one more column, the bias gradient: 16 sums over 4 * 12 * 12 products.
        double biasColumns = _device.Paths.Convolution == ConvolutionPath.Implicit ? 2 * 2.0 * 16 * 4 * 12 * 12 : 0;
        Assert.Equal(3 * convFlops + 3 * linearFlops - 2.0 * 4 * 12 * 12 * 9 * 8 * 16 + biasColumns, summary.Flops, 6); // no input gradient for the first convolution
        Assert.Equal(1, summary.Synchronizations);
        Assert.Equal(4L * (4 * 8 * 12 * 12) + 4 * 4, summary.BytesToDevice);
        Assert.Contains(summary.ByKernel, k => k.Kernel == "Optim.Adam" && k.Launches == 1);
        Assert.True(summary.MinWorkItems >= 1 && summary.MedianWorkItems >= summary.MinWorkItems);
    }

    private Engine.Devices.LaunchProfile ProfileStep(bool execute)
    {
        var model = new Sequential(new Conv2d(8, 16, 3, padding: 1), ReLU.Create(), new Conv2d(16, 16, 3, padding: 1), new Flatten(), new Linear(16 * 12 * 12, 10));
        model.Initialize(_device, seed: 2);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", 4, 8, 12, 12);
        var y = g.IntInput("y", 4);
        using var graph = g.Compile(model.Call(x).CrossEntropy(y));
        using var adam = new Adam(model.NamedParameters().Select(p => p.Parameter));
        using var images = _device.AllocatePinned<float>(4 * 8 * 12 * 12);
        using var labels = _device.AllocatePinned<int>(4);
        Reference.Random(images.Span.Length, 3).CopyTo(images.Span);
        labels.Span.Fill(1);
        var profile = _device.StartProfile(executeLaunches: execute);
        try
        {
            graph.Value(x).UploadAsync(images);
            graph.IntValue(y).UploadAsync(labels);
            adam.ZeroGrad();
            graph.Forward();
            graph.Backward();
            adam.Step();
            _device.Synchronize();
        }
        finally
        {
            _device.StopProfile();
            model.Release();
        }
        return profile;
    }
}
