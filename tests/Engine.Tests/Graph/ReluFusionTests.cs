using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Ops.Convolution;
using Engine.Optim;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Graph;

/// <summary>
/// A convolution with a bias and the ReLU right after it run as the convolution and one
/// bias + ReLU pass when nothing else reads the convolution's output: the same loss and gradients
/// bit for bit as the unfused pair (kept apart here by asking for the convolution's output), one
/// launch fewer per pair, on the host path and on the kernels.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class ReluFusionTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FusedPairsGiveTheUnfusedBits(bool hostPath)
    {
        using var path = ExecutionPaths.Override(hostPath: hostPath);
        var (fusedLoss, fusedGrads, fusedCount, fusedLaunches, _, _, _) = Run(keepConvOutput: false);
        var (plainLoss, plainGrads, plainCount, plainLaunches, _, _, _) = Run(keepConvOutput: true);
        Assert.Equal(2, fusedCount);
        Assert.Equal(1, plainCount); // the first pair is kept apart by reading its convolution's output
        Reference.AssertExactly(plainLoss, fusedLoss, "loss");
        for (int i = 0; i < plainGrads.Count; i++)
            Reference.AssertExactly(plainGrads[i], fusedGrads[i], $"gradient {i}");
        if (!hostPath)
            Assert.Equal(plainLaunches - 1, fusedLaunches);
    }

    [Fact]
    public void ImplicitConvolutionsTakeTheirRelusBackwardPassWithTheSameBits()
    {
        // Where convolutions run as implicit GEMM (a GPU), a fused pair's backward is one op too:
        // the convolution's products read the ReLU output's gradient through the mask on the fly.
        using var path = ExecutionPaths.Override(implicitGemm: true);
        if (_device.Info.MaxGroupSize < 256)
        {
            var error = Assert.Throws<ArgumentException>(() => Run(keepConvOutput: false));
            Assert.Contains($"allows {_device.Info.MaxGroupSize}", error.Message);
            return;
        }
        var fused = Run(keepConvOutput: false);
        var plain = Run(keepConvOutput: true);
        Assert.Equal((2, 2), (fused.Fused, fused.FusedBackward));
        Assert.Equal((1, 1), (plain.Fused, plain.FusedBackward)); // the first pair is kept apart
        Reference.AssertExactly(plain.Loss, fused.Loss, "loss");
        for (int i = 0; i < plain.Grads.Count; i++)
            Reference.AssertExactly(plain.Grads[i], fused.Grads[i], $"gradient {i}");
        Assert.Equal(plain.BackwardLaunches - 1, fused.BackwardLaunches); // no ReluBackward launch
        Assert.DoesNotContain("ReluBackward", fused.BackwardKernels);
        Assert.Contains("ReluBackward", plain.BackwardKernels);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void BatchNormAndReluFuseTooInTrainingAndEvaluation(bool hostPath, bool training)
    {
        using var path = ExecutionPaths.Override(hostPath: hostPath);
        var fused = RunBatchNorm(keepNormalized: false, training);
        var plain = RunBatchNorm(keepNormalized: true, training);
        Assert.Equal(1, fused.Fused);
        Assert.Equal(0, plain.Fused);
        // Normalize and NormalizeRelu: two kernels, one expression per element.
        DeviceRounding.AssertExactlyAcrossKernels(_device, plain.Loss, fused.Loss, "loss");
        for (int i = 0; i < plain.Grads.Count; i++)
            DeviceRounding.AssertExactlyAcrossKernels(_device, plain.Grads[i], fused.Grads[i], $"gradient {i}");
        DeviceRounding.AssertExactlyAcrossKernels(_device, plain.RunningMean, fused.RunningMean, "running mean");
        if (!hostPath)
            Assert.Equal(plain.Launches - 1, fused.Launches);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AFusedReluNeverSharesABufferWithWhatItsProducerStillReads(bool hostPath)
    {
        // A ResNet-50 in evaluation: once each batch norm's ReLU output was planned as born a step
        // after the batch norm, so it could take the buffer of the statistics the fused kernel was
        // still reading, and the kernels (not the host path, which normalises first) gave wrong
        // logits. Fused and unfused (every value kept, so nothing fuses) must give the same bits.
        using var path = ExecutionPaths.Override(hostPath: hostPath);
        var model = Engine.Models.ResNet.ResNet50(classes: 4, inChannels: 3, smallStem: true, width: 4);
        model.Initialize(_device, seed: 7);
        int k = 0;
        foreach (var (name, state) in model.NamedState().Where(s => s.Name.Contains("bn", StringComparison.Ordinal)))
            state.Value.CopyFrom(Reference.Random((int)state.Shape.Numel, 100 + k++, 0.5f, 1.5f)); // positive variances, means and shifts away from 0
        float[] image = Reference.Random(3 * 16 * 16, 12, -1f, 1f);
        float[] Logits(bool keepEverything)
        {
            var g = new GraphBuilder(_device, training: false);
            var x = g.Input("x", 1, 3, 16, 16);
            var logits = model.Call(x);
            Node[] kept = keepEverything ? g.Ops.Where(o => o.Outputs[0].Kind == ValueKind.Float).Select(o => o.Outputs[0]).ToArray() : [logits];
            using var plan = g.CompileInference(kept);
            Assert.Equal(keepEverything, plan.FusedRelu.Count == 0);
            var slotOf = g.Nodes.Select((node, i) => (node, plan.Plan.Values[i].Slot)).ToDictionary(p => p.node, p => p.Slot); // the plan lists the nodes first, in order
            foreach (var (producer, relu) in plan.FusedRelu)
            {
                foreach (var other in producer.Inputs.Concat(producer.Outputs))
                    Assert.NotEqual(slotOf[relu.Outputs[0]], slotOf[other]);
            }
            plan.Value(x).CopyFrom(image);
            plan.Forward();
            return plan.Value(logits).ToArray();
        }
        try
        {
            DeviceRounding.AssertExactlyAcrossKernels(_device, Logits(keepEverything: true), Logits(keepEverything: false), "ResNet-50 logits");
        }
        finally
        {
            model.Release();
        }
    }

    private (float[] Loss, List<float[]> Grads, int Fused, int Launches, float[] RunningMean) RunBatchNorm(bool keepNormalized, bool training)
    {
        var conv = new Conv2d(3, 6, 3, padding: 1, bias: false);
        var norm = new BatchNorm2d(6);
        var head = new Sequential(ReLU.Create(), new Flatten(), new Linear(6 * 7 * 7, 5));
        var all = new Sequential(conv, norm, head);
        all.Initialize(_device, seed: 11);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", 2, 3, 7, 7);
        var y = g.IntInput("y", 2);
        var normalized = norm.Call(conv.Call(x));
        var loss = head.Call(normalized).CrossEntropy(y);
        using var graph = keepNormalized ? g.Compile(loss, normalized) : g.Compile(loss);
        graph.Training = training;
        var (lossValue, grads, fused, launches, _, _, _) = Step(graph, all, x, y, loss, Reference.Random(2 * 3 * 7 * 7, 5, -2f, 2f), [0, 4]);
        var runningMean = all.NamedState().First(s => s.Name.EndsWith("running_mean", StringComparison.Ordinal)).State.Value.ToArray();
        all.Release();
        return (lossValue, grads, fused, launches, runningMean);
    }

    private (float[] Loss, List<float[]> Grads, int Fused, int Launches, int FusedBackward, int BackwardLaunches, List<string> BackwardKernels) Run(bool keepConvOutput)
    {
        var conv1 = new Conv2d(3, 6, 3, padding: 1);
        var model = new Sequential(ReLU.Create(), new Conv2d(6, 4, 3, padding: 1), ReLU.Create(), new Flatten(), new Linear(4 * 7 * 7, 5));
        var all = new Sequential(conv1, model);
        all.Initialize(_device, seed: 9);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", 2, 3, 7, 7);
        var y = g.IntInput("y", 2);
        var hidden = conv1.Call(x);
        var loss = model.Call(hidden).CrossEntropy(y);
        using var graph = keepConvOutput ? g.Compile(loss, hidden) : g.Compile(loss);
        using var scope = DisposeScope.Enter();
        var result = Step(graph, all, x, y, loss, Reference.Random(2 * 3 * 7 * 7, 4, -2f, 2f), [1, 3]);
        all.Release();
        return result;
    }

    // One step of a compiled graph from zeroed gradients: the loss, every parameter's gradient, the
    // ReLUs fused and the launches of the forward pass; the ReLUs fused backward and the launches
    // (and kernels) of the backward pass.
    private (float[] Loss, List<float[]> Grads, int Fused, int Launches, int FusedBackward, int BackwardLaunches, List<string> BackwardKernels) Step(
        CompiledGraph graph, Module model, Node x, Node y, Node loss, float[] input, int[] labels)
    {
        graph.Value(x).CopyFrom(input);
        graph.IntValue(y).CopyFrom(labels);
        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
        using var sgd = new Sgd(parameters, 0.1f);
        sgd.ZeroGrad();
        var profile = _device.StartProfile();
        try
        {
            graph.Forward();
        }
        finally
        {
            _device.StopProfile();
        }
        var backward = _device.StartProfile();
        try
        {
            graph.Backward();
        }
        finally
        {
            _device.StopProfile();
        }
        return (graph.Value(loss).ToArray(), parameters.Select(p => p.Grad.ToArray()).ToList(), graph.FusedRelu.Count, profile.Launches.Count,
            graph.ReluBackwardFused.Count, backward.Launches.Count, backward.Launches.Select(l => l.Kernel).ToList());
    }
}
