using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Upsampling;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Graph;

[Collection(DeviceCollection.Name)]
public sealed class GraphTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    /// <summary>A small graph with every kind of op the models use.</summary>
    private sealed class Mixed : Module
    {
        public Mixed()
        {
            Register("conv1", new Conv2d(2, 4, 3, padding: 1));
            Register("bn1", new BatchNorm2d(4));
            Register("conv2", new Conv2d(4, 4, 3, padding: 1));
            Register("head", new Conv2d(8, 3, 1));
            Register("fc", new Linear(3, 3));
        }

        protected override Node Forward(Node x)
        {
            var h = Call("bn1", Call("conv1", x)).Relu();                       // [N, 4, 8, 8]
            var pool = new MaxPool2d(2);
            var (pooled, indices) = pool.WithIndices(h, "pool");                // [N, 4, 4, 4]
            var unpooled = new MaxUnpool2d(2).Call(pooled, indices, name: "unpool");             // [N, 4, 8, 8]
            var up = new Upsample(scaleFactor: 2, mode: InterpolationMode.Bilinear).Call(Call("conv2", pooled), "up");
            var joined = NodeFunctions.Concat(unpooled, up).CenterCrop(6, 6);   // [N, 8, 6, 6]
            var features = new GlobalAvgPool2d().Call(Call("head", joined), "gap"); // [N, 3]
            return Call("fc", features);
        }
    }

    [Fact]
    public void WholeGraphGradientsMatchCentralDifferences()
    {
        var model = new Mixed();
        model.Initialize(_device, seed: 3);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", new Shape(2, 2, 8, 8), requiresGrad: true);
        var targets = g.IntInput("y", 2);
        var loss = model.Call(x).CrossEntropy(targets);
        using var plan = g.Compile(loss);
        float[] input = Reference.Random(2 * 2 * 8 * 8, 4, -2f, 2f);
        plan.Value(x).CopyFrom(input);
        plan.IntValue(targets).CopyFrom([1, 2]);
        plan.ZeroGrad();
        plan.Forward();
        plan.Backward();
        float[] dx = plan.Grad(x)!.ToArray();

        double LossAt() { plan.Forward(); return plan.Value(loss).ToArray()[0]; }
        var random = new Random(5);
        CheckCoordinates("input", plan.Value(x), dx, LossAt, Enumerable.Range(0, 24).Select(_ => random.Next(input.Length)));
        foreach (var (name, p) in model.NamedParameters().Where(n => n.Name is "conv1.weight" or "bn1.weight" or "conv2.weight" or "head.bias" or "fc.weight"))
            CheckCoordinates(name, p.Value, p.Grad.ToArray(), LossAt, Enumerable.Range(0, 8).Select(_ => random.Next((int)p.Shape.Numel)));
        model.Release();
    }

    private static void CheckCoordinates(string what, Tensor values, float[] analytic, Func<double> lossAt, IEnumerable<int> coordinates)
    {
        const float step = 1e-3f; // small: a weight moves every pixel, and larger steps cross ReLU and max-pool kinks
        float[] v = values.ToArray();
        foreach (int i in coordinates.Distinct())
        {
            float saved = v[i];
            v[i] = saved + step; values.CopyFrom(v);
            double plus = lossAt();
            v[i] = saved - step; values.CopyFrom(v);
            double minus = lossAt();
            v[i] = saved; values.CopyFrom(v);
            double numeric = (plus - minus) / (2 * step);
            // float32 forward passes: the difference quotient carries ~2e-4 of rounding (loss ulp / 2 step).
            double tolerance = 3e-2 * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])) + 1e-3;
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                $"{what}[{i}]: backward gives {analytic[i]}, central differences {numeric}.");
        }
    }

    /// <summary>A two-level U-Net with valid convolutions, cropped skips and up-convolutions.</summary>
    private sealed class TinyUNet : Module
    {
        public TinyUNet()
        {
            Register("down1", new Sequential(new Conv2d(1, 4, 3), ReLU.Create(), new Conv2d(4, 4, 3), ReLU.Create()));
            Register("down2", new Sequential(new Conv2d(4, 8, 3), ReLU.Create(), new Conv2d(8, 8, 3), ReLU.Create()));
            Register("up", new ConvTranspose2d(8, 4, 2, stride: 2));
            Register("dec", new Sequential(new Conv2d(8, 4, 3), new BatchNorm2d(4), ReLU.Create()));
            Register("out", new Conv2d(4, 2, 1));
        }

        protected override Node Forward(Node x)
        {
            var skip = Call("down1", x);                                     // 24 -> 20
            var bottom = Call("down2", new MaxPool2d(2).Call(skip, "pool")); // 10 -> 6
            var up = Call("up", bottom);                                     // 12
            var joined = NodeFunctions.Concat(skip.CenterCrop(up.Shape[2], up.Shape[3]), up);
            return Call("out", Call("dec", joined));                         // 10
        }
    }

    [Fact]
    public void UNetPlanIsSmallerThanNaiveAndReuseChangesNoBit()
    {
        var results = new List<(float Loss, float[] Grad, float[] Output, MemoryPlan Plan)>();
        bool reluBackwardFused = false;
        foreach (bool reuse in new[] { true, false })
        {
            var model = new TinyUNet();
            model.Initialize(_device, seed: 11);
            var g = new GraphBuilder(_device);
            var x = g.Input("x", 2, 1, 24, 24);
            var y = g.IntInput("y", 2, 10, 10);
            var logits = model.Call(x);
            var loss = logits.CrossEntropy(y);
            using var plan = g.Compile(loss, [loss, logits], new CompileOptions { ReuseMemory = reuse });
            plan.Value(x).CopyFrom(Reference.Random(2 * 24 * 24, 12));
            plan.IntValue(y).CopyFrom(Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? 1 : 0).ToArray());
            plan.Forward();
            plan.Backward();
            results.Add((plan.Value(loss).ToArray()[0], model.NamedParameters().First().Parameter.Grad.ToArray(), plan.Value(logits).ToArray(), plan.Plan));
            reluBackwardFused = plan.ReluBackwardFused.Count > 0;
            model.Release();
        }
        var planned = results[0].Plan;
        // About 0.53 of the naive bytes; 0.65 where convolutions take their ReLUs' backward (implicit
        // GEMM), for the same planned bytes: the pre-activations' gradients, easy to share, are then
        // not values at all, so the naive sum is smaller.
        Assert.True(planned.PlannedBytes < (reluBackwardFused ? 0.7 : 0.6) * planned.NaiveBytes, planned.ToString());
        Assert.Equal(planned.NaiveBytes, results[1].Plan.PlannedBytes);
        Assert.Equal(results[0].Loss, results[1].Loss);
        Reference.AssertExactly(results[1].Output, results[0].Output, "logits with and without reuse");
        Reference.AssertExactly(results[1].Grad, results[0].Grad, "gradients with and without reuse");
    }

    [Fact]
    public void TrainingStepsAllocateNothingAfterTheFirstAndLeakNothing()
    {
        var model = new TinyUNet();
        model.Initialize(_device, seed: 1);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", 2, 1, 24, 24);
        var y = g.IntInput("y", 2, 10, 10);
        var loss = model.Call(x).CrossEntropy(y);
        using var optimizer = new Engine.Optim.Adam(model.NamedParameters().Select(p => p.Parameter), 1e-3f) { MaxGradNorm = 1f };
        long liveBefore = _device.LiveBufferCount;
        using (var plan = g.Compile(loss))
        {
            plan.Value(x).CopyFrom(Reference.Random(2 * 24 * 24, 2));
            plan.IntValue(y).CopyFrom(new int[200]);
            long allocations = 0, live = 0;
            var losses = new List<float>();
            for (int step = 0; step < 6; step++)
            {
                optimizer.ZeroGrad();
                plan.Forward();
                plan.Backward();
                optimizer.Step();
                if (step == 0)
                {
                    allocations = _device.AllocationCount;
                    live = _device.LiveBufferCount;
                }
                Assert.Equal(allocations, _device.AllocationCount);
                Assert.Equal(live, _device.LiveBufferCount);
                losses.Add(plan.Value(loss).ToArray()[0]);
            }
            Assert.True(losses[^1] < losses[0], $"loss should fall on a fixed batch: {string.Join(", ", losses)}");
        }
        Assert.Equal(liveBefore, _device.LiveBufferCount);
        model.Release();
    }

    [Fact]
    public void TheLossSeedIsWrittenOnceAndRestoredAfterAGivenGradient()
    {
        // Backward() seeds the loss's gradient with 1; the seed stays in the loss's own buffer, so a
        // step launches nothing for it, and a Backward(gradient) in between does not leak into the next.
        var conv = new Conv2d(2, 3, 3, padding: 1);
        conv.Initialize(_device, seed: 2);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", new Shape(2, 2, 5, 5));
        var y = g.IntInput("y", 2, 5, 5);
        var loss = conv.Call(x).CrossEntropy(y);
        using var plan = g.Compile(loss);
        plan.Value(x).CopyFrom(Reference.Random(100, 6));
        plan.IntValue(y).CopyFrom(Enumerable.Range(0, 50).Select(i => i % 3).ToArray());
        using var scope = DisposeScope.Enter();
        float[] Gradient(Tensor? seed)
        {
            plan.ZeroGrad();
            plan.Forward();
            if (seed is null)
                plan.Backward();
            else
                plan.Backward(seed);
            return conv.Weight.Grad.ToArray();
        }
        float[] first = Gradient(null);
        var profile = _device.StartProfile();
        float[] again;
        try
        {
            again = Gradient(null);
        }
        finally
        {
            _device.StopProfile();
        }
        Reference.AssertExactly(first, again, "the second step");
        Assert.DoesNotContain(profile.Launches, l => l.Kernel is "ScaledAccumulate" or "Copy"); // no seed written
        float[] doubled = Gradient(Tensor.Full(_device, 2f, new Shape()));
        Reference.AssertExactly(first.Select(v => 2 * v).ToArray(), doubled, "a given gradient of 2"); // scaling by 2 is exact
        Reference.AssertExactly(first, Gradient(null), "after a given gradient of 2");
        conv.Release();
    }

    [Fact]
    public void BackwardFromAGivenOutputGradientMatchesTheFunctionalOps()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1);
        conv.Initialize(_device, seed: 2);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", new Shape(1, 2, 5, 5), requiresGrad: true);
        var y = conv.Call(x).Tanh();
        using var plan = g.Compile(y, [y]);
        float[] input = Reference.Random(50, 3);
        float[] dy = Reference.Random(75, 4);
        plan.Value(x).CopyFrom(input);
        plan.Forward();
        using var scope = DisposeScope.Enter();
        plan.Backward(Tensor.FromArray(_device, dy, 1, 3, 5, 5));
        var xs = Tensor.FromArray(_device, input, 1, 2, 5, 5);
        var pre = Engine.Functional.Conv2d(xs, conv.Weight.Value, conv.Bias!.Value, padding: 1);
        var post = Engine.Functional.Tanh(pre);
        var dPre = Engine.Functional.ActivationBackward(Engine.Ops.Activation.ActivationKind.Tanh, post, Tensor.FromArray(_device, dy, 1, 3, 5, 5));
        var grads = Engine.Functional.Conv2dBackward(dPre, xs, conv.Weight.Value, true, padding: 1);
        Reference.AssertExactly(grads.Input!.ToArray(), plan.Grad(x)!.ToArray(), "dx through the graph");
        Reference.AssertExactly(grads.Weight.ToArray(), conv.Weight.Grad.ToArray(), "dw through the graph");
        Assert.Throws<InvalidOperationException>(() => plan.Backward());
        Assert.Contains("needs [1, 3, 5, 5]", Assert.Throws<ArgumentException>(() => plan.Backward(Tensor.Zeros(_device, 5))).Message);
        conv.Release();
    }

    [Fact]
    public void ShapeErrorsNameTheModulePathAndBothShapes()
    {
        var model = new Sequential(new Conv2d(3, 8, 3), ReLU.Create(), new Sequential(new Conv2d(4, 8, 3)));
        var g = new GraphBuilder(_device);
        var error = Assert.Throws<ModuleShapeException>(() => model.Call(g.Input("x", 1, 3, 16, 16)));
        Assert.Equal("2.0", error.ModulePath);
        Assert.Contains("2.0: Conv2d: weight [8, 4, 3, 3] expects 4 input channels with groups 1, but input [1, 8, 14, 14] has 8", error.Message);

        var logits = g.Input("logits", 2, 3, 4, 4);
        Assert.Contains("cross_entropy: targets must be [2, 4, 4] for logits [2, 3, 4, 4], got [2, 4]",
            Assert.Throws<ArgumentException>(() => logits.CrossEntropy(g.IntInput("t", 2, 4))).Message);
        Assert.Contains("cross_entropy: logits must be [N, C] or [N, C, H, W], got [5]",
            Assert.Throws<ArgumentException>(() => g.Input("v", 5).CrossEntropy(g.IntInput("u", 5))).Message);
        var (pooled, _) = new MaxPool2d(2).WithIndices(g.Input("p", 1, 1, 4, 4), "pool");
        var unpoolError = Assert.Throws<ModuleShapeException>(() => new MaxUnpool2d(2).Call(pooled, pooled, name: "unpool"));
        Assert.Contains("unpool: MaxUnpool2d needs int32 indices", unpoolError.Message);
    }

    [Fact]
    public void StateDictNamesFollowTheModuleTree()
    {
        var model = new Sequential(new Conv2d(1, 2, 3, bias: false), new BatchNorm2d(2), new Sequential(new Linear(4, 3)));
        Assert.Equal(["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "2.0.weight", "2.0.bias"],
            model.NamedState().Select(s => s.Name).ToArray());
        Assert.Equal(["1.num_batches_tracked"], model.NamedCounters().Select(c => c.Name).ToArray());
        Assert.Equal(2 * 9 + 2 + 2 + 12 + 3, model.ParameterCount);
    }

    [Fact]
    public void InitialisationFollowsPyTorchsDefaultsAndTheSeed()
    {
        var a = new Sequential(new Conv2d(4, 8, 3), new BatchNorm2d(8), new Linear(10, 5));
        var b = new Sequential(new Conv2d(4, 8, 3), new BatchNorm2d(8), new Linear(10, 5));
        a.Initialize(_device, seed: 9);
        b.Initialize(_device, seed: 9);
        var stateA = a.NamedState().ToDictionary(s => s.Name, s => s.State.Value.ToArray());
        foreach (var (name, state) in b.NamedState())
            Assert.Equal(stateA[name], state.Value.ToArray());
        float convBound = 1f / MathF.Sqrt(4 * 9);
        Assert.All(stateA["0.weight"], v => Assert.InRange(v, -convBound, convBound));
        Assert.True(stateA["0.weight"].Max() > 0.8f * convBound && stateA["0.weight"].Min() < -0.8f * convBound);
        Assert.All(stateA["1.weight"], v => Assert.Equal(1f, v));
        Assert.All(stateA["1.bias"], v => Assert.Equal(0f, v));
        Assert.All(stateA["1.running_var"], v => Assert.Equal(1f, v));
        Assert.All(stateA["2.weight"], v => Assert.InRange(v, -1f / MathF.Sqrt(10), 1f / MathF.Sqrt(10)));
        a.Release();
        b.Release();
    }
}
