using Engine.Devices;
using Engine.Graph;
using Engine.Modules.Layers;
using Engine.Ops;
using Engine.Ops.Losses;
using Engine.Tensors;
using Engine.Tests.Infrastructure;
using F = Engine.Functional;

namespace Engine.Tests.Functional;

/// <summary>
/// Adaptive average and max pooling (PyTorch's window rule) against float64 references and central
/// differences, the host path against the kernels bit for bit, the graph modules, and spatial
/// pyramid pooling.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class AdaptivePoolingTests(DeviceFixture fixture)
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;

    public sealed record Case(int Planes, int H, int W, int OutH, int OutW)
    {
        public override string ToString() => $"{Planes}x{H}x{W} -> {OutH}x{OutW}";
    }

    public static TheoryData<Case> Cases() => new()
    {
        new Case(2, 7, 7, 3, 3),     // overlapping windows of 3 (7 -> 3)
        new Case(2, 5, 5, 4, 4),     // windows of 2 overlapping by 1
        new Case(1, 10, 10, 6, 6),
        new Case(2, 3, 3, 5, 5),     // output larger than the input: inputs repeat
        new Case(3, 6, 8, 1, 1),     // global
        new Case(2, 7, 10, 3, 4),    // non-square, both uneven
        new Case(2, 9, 5, 4, 7),     // down on one axis, up on the other
        new Case(1, 8, 12, 4, 3),    // uniform windows (2 x 4)
        new Case(2, 4, 4, 4, 4),     // identity
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPoolForwardAndBackwardMatchTheReference(Case p)
    {
        float[] x = Reference.Random(p.Planes * p.H * p.W, Reference.SeedOf(p));
        float[] dy = Reference.Random(p.Planes * p.OutH * p.OutW, Reference.SeedOf(p) + 1);
        using var scope = DisposeScope.Enter();
        var y = F.AdaptiveAvgPool2d(Tensor.FromArray(_device, x, 1, p.Planes, p.H, p.W), (p.OutH, p.OutW));
        Assert.Equal(new Shape(1, p.Planes, p.OutH, p.OutW), y.Shape);
        Func<double[][], double[]> reference = a => RefPool.AdaptiveAvgPool(p.Planes, p.H, p.W, p.OutH, p.OutW, a[0]);
        GradCheck.AssertClose(y.ToArray(), reference(GradCheck.Widen(x)), 1e-6, 1, $"AdaptiveAvgPool2d {p}");
        var dx = F.AdaptiveAvgPool2dBackward(Tensor.FromArray(_device, dy, 1, p.Planes, p.OutH, p.OutW), new Shape(1, p.Planes, p.H, p.W));
        var numeric = GradCheck.Numeric(reference, GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0);
        GradCheck.AssertClose(dx.ToArray(), numeric, 1e-5, 1, $"AdaptiveAvgPool2d backward {p}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolMatchesTheReferenceExactlyAndItsBackwardCentralDifferences(Case p)
    {
        float[] x = DistinctValues(p.Planes * p.H * p.W, Reference.SeedOf(p) + 2);
        float[] dy = Reference.Random(p.Planes * p.OutH * p.OutW, Reference.SeedOf(p) + 3);
        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, x, 1, p.Planes, p.H, p.W);
        var (y, indices) = F.AdaptiveMaxPool2d(input, (p.OutH, p.OutW));
        Assert.Equal(new Shape(1, p.Planes, p.OutH, p.OutW), y.Shape);
        var (values, expectedIndices) = RefPool.AdaptiveMaxPool(p.Planes, p.H, p.W, p.OutH, p.OutW, GradCheck.Widen(x)[0]);
        Reference.AssertExactly(values.Select(v => (float)v).ToArray(), y.ToArray(), $"AdaptiveMaxPool2d {p}");
        Assert.Equal(expectedIndices, indices.ToArray());
        var dx = F.AdaptiveMaxPool2dBackward(Tensor.FromArray(_device, dy, 1, p.Planes, p.OutH, p.OutW), indices, input.Shape);
        var numeric = GradCheck.Numeric(a => RefPool.AdaptiveMaxPool(p.Planes, p.H, p.W, p.OutH, p.OutW, a[0]).Values,
            GradCheck.Widen(x), GradCheck.Widen(dy)[0], 0, step: 1e-3);
        GradCheck.AssertClose(dx.ToArray(), numeric, 1e-5, 1, $"AdaptiveMaxPool2d backward {p}");
    }

    [Fact]
    public void TheWindowsArePyTorchs()
    {
        // 7 -> 3: [0, 3), [2, 5), [4, 7); 3 -> 5: [0, 1), [0, 2), [1, 2), [1, 3), [2, 3).
        Assert.Equal([(0, 3), (2, 5), (4, 7)], Enumerable.Range(0, 3).Select(i => RefPool.AdaptiveWindow(i, 7, 3)));
        Assert.Equal([(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)], Enumerable.Range(0, 5).Select(i => RefPool.AdaptiveWindow(i, 3, 5)));
        using var scope = DisposeScope.Enter();
        var x = Tensor.FromArray(_device, Enumerable.Range(0, 7).Select(i => (float)i).ToArray(), 1, 1, 1, 7);
        Assert.Equal([1f, 3f, 5f], F.AdaptiveAvgPool2d(x, (1, 3)).ToArray());
        var (max, indices) = F.AdaptiveMaxPool2d(x, (1, 3));
        Assert.Equal([2f, 4f, 6f], max.ToArray());
        Assert.Equal([2, 4, 6], indices.ToArray());
    }

    [Fact]
    public void NanWinsAndTiesGoToTheFirstMaximum()
    {
        using var scope = DisposeScope.Enter();
        // 3 -> 2 windows rows and columns [0, 2) and [1, 3), as max_pool2d(2, 1) but adaptive.
        var x = Tensor.FromArray(_device, [1, float.NaN, 3, 3, 2, 4, 5, 5, 3], 1, 1, 3, 3);
        var (y, indices) = F.AdaptiveMaxPool2d(x, 2);
        float[] values = y.ToArray();
        Assert.True(float.IsNaN(values[0]) && float.IsNaN(values[1]));
        Assert.Equal([1, 1, 6, 7], indices.ToArray()); // NaN at 1; the tie 5, 5 in window (1, 0) keeps the first
        Assert.Equal(5f, values[2]);
        // A later NaN replaces an earlier one; a window of -infinity keeps its first element.
        var (nan, nanIndex) = F.AdaptiveMaxPool2d(Tensor.FromArray(_device, [float.NaN, 1, float.NaN, 0], 1, 1, 2, 2), 1);
        Assert.True(float.IsNaN(nan.ToArray()[0]));
        Assert.Equal([2], nanIndex.ToArray());
        var (low, lowIndex) = F.AdaptiveMaxPool2d(Tensor.FromArray(_device, [float.NegativeInfinity, float.NegativeInfinity], 1, 1, 1, 2), 1);
        Assert.Equal([float.NegativeInfinity], low.ToArray());
        Assert.Equal([0], lowIndex.ToArray());
    }

    [Theory]
    [InlineData(7, 9, 3, 4, false)]
    [InlineData(5, 5, 4, 4, true)]
    [InlineData(3, 4, 5, 7, true)]
    public void TheHostPathGivesTheKernelsBits(int h, int w, int outH, int outW, bool accumulate)
    {
        using var scope = DisposeScope.Enter();
        float[] data = Reference.Random(2 * 3 * h * w, 31);
        for (int i = 0; i + 1 < data.Length; i += 5)
            data[i] = data[i + 1]; // ties
        data[7] = float.NaN;
        var x = Tensor.FromArray(_device, data, 2, 3, h, w);
        var dy = Tensor.FromArray(_device, Reference.Random(2 * 3 * outH * outW, 32), 2, 3, outH, outW);
        float[] start = Reference.Random(2 * 3 * h * w, 33);
        var spec = Engine.Ops.Pooling.AdaptivePool2dSpec.Create("test", x.Shape, (outH, outW));
        (float[] Avg, float[] AvgDx, float[] Max, int[] Indices, float[] MaxDx) Run(bool host)
        {
            using var path = ExecutionPaths.Override(hostPath: host);
            var avg = F.AdaptiveAvgPool2d(x, (outH, outW));
            var avgDx = Tensor.FromArray(_device, start, x.Shape.Dims.ToArray());
            Engine.Ops.Pooling.AdaptivePool2dOp.AvgBackward(spec, dy, avgDx, accumulate);
            var (max, indices) = F.AdaptiveMaxPool2d(x, (outH, outW));
            var maxDx = Tensor.FromArray(_device, start, x.Shape.Dims.ToArray());
            Engine.Ops.Pooling.AdaptivePool2dOp.MaxBackward(spec, dy, indices, maxDx, accumulate);
            return (avg.ToArray(), avgDx.ToArray(), max.ToArray(), indices.ToArray(), maxDx.ToArray());
        }
        var hostRun = Run(true);
        var kernelRun = Run(false);
        Reference.AssertExactly(kernelRun.Avg, hostRun.Avg, "adaptive avg output");
        Reference.AssertExactly(kernelRun.AvgDx, hostRun.AvgDx, "adaptive avg input gradient");
        Reference.AssertExactly(kernelRun.Max, hostRun.Max, "adaptive max output");
        Assert.Equal(kernelRun.Indices, hostRun.Indices);
        Reference.AssertExactly(kernelRun.MaxDx, hostRun.MaxDx, "adaptive max input gradient");
    }

    [Fact]
    public void InvalidSizesAreRejectedWhenTheCallOrGraphIsBuilt()
    {
        using var scope = DisposeScope.Enter();
        var x = Tensor.Zeros(_device, 1, 2, 4, 4);
        Assert.Contains("AdaptiveAvgPool2d: output_size must be positive, got (0, 3)",
            Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(x, (0, 3))).Message);
        Assert.Contains("AdaptiveMaxPool2d: output_size must be positive, got (2, -1)",
            Assert.Throws<ArgumentException>(() => F.AdaptiveMaxPool2d(x, (2, -1))).Message);
        Assert.Contains("AdaptiveAvgPool2d: input must be [N, C, H, W], got [2, 4, 4]",
            Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(Tensor.Zeros(_device, 2, 4, 4), 2)).Message);
        var g = new GraphBuilder(_device, training: false);
        var input = g.Input("x", 1, 2, 4, 4);
        Assert.Contains("AdaptiveMaxPool2d: output_size must be positive, got (0, 0)",
            Assert.ThrowsAny<ArgumentException>(() => new AdaptiveMaxPool2d(0).Call(input)).Message);
        Assert.Contains("SpatialPyramidPooling: levels must be positive, got [1, 0, 4]",
            Assert.Throws<ArgumentException>(() => new SpatialPyramidPooling([1, 0, 4])).Message);
    }

    [Fact]
    public void TheModulesInAGraphGiveTheFunctionalResultsAndGradients()
    {
        float[] data = DistinctValues(2 * 3 * 7 * 9, 41);
        float[] target = Reference.Random(2 * 3 * 3 * 4, 42);
        var g = new GraphBuilder(_device);
        var x = g.Input("x", new Shape(2, 3, 7, 9), requiresGrad: true);
        var t = g.Input("t", 2, 3, 3, 4);
        var avg = new AdaptiveAvgPool2d((3, 4)).Call(x);
        var (max, _) = new AdaptiveMaxPool2d((3, 4)).WithIndices(x);
        var loss = NodeFunctions.WeightedSum(avg.MseLoss(t, LossReduction.Sum), 1f, max.MseLoss(t, LossReduction.Sum), 1f);
        using var plan = g.Compile(loss);
        plan.Value(x).CopyFrom(data);
        plan.Value(t).CopyFrom(target);
        plan.ZeroGrad();
        plan.Forward();
        plan.Backward();

        using var scope = DisposeScope.Enter();
        var input = Tensor.FromArray(_device, data, 2, 3, 7, 9);
        foreach (var (module, functional) in new (Engine.Modules.Module, Tensor)[]
            { (new AdaptiveAvgPool2d((3, 4)), F.AdaptiveAvgPool2d(input, (3, 4))), (new AdaptiveMaxPool2d((3, 4)), F.AdaptiveMaxPool2d(input, (3, 4)).Output) })
        {
            var inference = new GraphBuilder(_device, training: false);
            var i = inference.Input("x", 2, 3, 7, 9);
            var o = module.Call(i);
            using var evaluation = inference.CompileInference(o);
            evaluation.Value(i).CopyFrom(data);
            evaluation.Forward();
            Assert.Equal(functional.ToArray(), evaluation.Value(o).ToArray());
        }
        // L = |avg - t|² + |max - t|²: dL/dx = J_avg' 2 (avg - t) + J_max' 2 (max - t), by central differences of the references.
        var wide = GradCheck.Widen(data);
        double[] Upstream(double[] y) => y.Select((v, i) => 2 * (v - target[i])).ToArray();
        Func<double[][], double[]> avgRef = a => RefPool.AdaptiveAvgPool(6, 7, 9, 3, 4, a[0]);
        Func<double[][], double[]> maxRef = a => RefPool.AdaptiveMaxPool(6, 7, 9, 3, 4, a[0]).Values;
        var numeric = GradCheck.Numeric(avgRef, wide, Upstream(avgRef(wide)), 0, step: 1e-3)
            .Zip(GradCheck.Numeric(maxRef, wide, Upstream(maxRef(wide)), 0, step: 1e-3), (a, b) => a + b).ToArray();
        GradCheck.AssertClose(plan.Grad(x)!.ToArray(), numeric, 1e-4, 1, "adaptive pooling modules backward");
    }

    [Fact]
    public void SpatialPyramidPoolingGivesOneLengthForEverySizeAndItsGradient()
    {
        var spp = new SpatialPyramidPooling();
        Assert.Equal([1, 2, 4], spp.Levels);
        var model = new Sequential(new Conv2d(2, 3, 3, padding: 1), spp, new Linear(spp.OutputFeatures(3), 5));
        model.Initialize(_device, seed: 3);
        try
        {
            foreach (var (h, w) in new[] { (13, 17), (24, 20), (4, 4) })
            {
                var g = new GraphBuilder(_device, training: false);
                var input = g.Input("x", 2, 2, h, w);
                var output = model.Call(input);
                Assert.Equal(new Shape(2, 5), output.Shape);
                using var plan = g.CompileInference(output);
                plan.Value(input).CopyFrom(Reference.Random(2 * 2 * h * w, h));
                plan.Forward();
                Assert.All(plan.Value(output).ToArray(), v => Assert.True(float.IsFinite(v)));
            }
        }
        finally
        {
            model.Release();
        }

        // The pyramid alone: [N, C, H, W] -> [N, C (1 + 4 + 16)], levels in order, each flattened (c, i, j); its gradient.
        const int n = 2, c = 3, height = 9, width = 7;
        float[] data = DistinctValues(n * c * height * width, 51);
        float[] target = Reference.Random(n * c * 21, 52);
        var graph = new GraphBuilder(_device);
        var x = graph.Input("x", new Shape(n, c, height, width), requiresGrad: true);
        var t = graph.Input("t", n, c * 21);
        var pooled = new SpatialPyramidPooling().Call(x);
        Assert.Equal(new Shape(n, c * 21), pooled.Shape);
        var loss = pooled.MseLoss(t, LossReduction.Sum);
        using var step = graph.Compile(loss);
        step.Value(x).CopyFrom(data);
        step.Value(t).CopyFrom(target);
        step.ZeroGrad();
        step.Forward();
        step.Backward();
        double[] Pyramid(double[] a)
        {
            var levels = new[] { 1, 2, 4 }.Select(l => RefPool.AdaptiveMaxPool(n * c, height, width, l, l, a).Values).ToArray();
            var y = new List<double>();
            for (int image = 0; image < n; image++)
                foreach (var (level, values) in new[] { 1, 2, 4 }.Zip(levels))
                    y.AddRange(values.Skip(image * c * level * level).Take(c * level * level));
            return [.. y];
        }
        var wide = GradCheck.Widen(data);
        var evaluationGraph = new GraphBuilder(_device, training: false);
        var evaluationInput = evaluationGraph.Input("x", n, c, height, width);
        var evaluationOutput = new SpatialPyramidPooling().Call(evaluationInput);
        using (var evaluation = evaluationGraph.CompileInference(evaluationOutput))
        {
            evaluation.Value(evaluationInput).CopyFrom(data);
            evaluation.Forward();
            GradCheck.AssertClose(evaluation.Value(evaluationOutput).ToArray(), Pyramid(wide[0]), 0, 1, "SpatialPyramidPooling");
        }
        double[] upstream = Pyramid(wide[0]).Select((v, i) => 2 * (v - target[i])).ToArray();
        var numeric = GradCheck.Numeric(a => Pyramid(a[0]), wide, upstream, 0, step: 1e-3);
        GradCheck.AssertClose(step.Grad(x)!.ToArray(), numeric, 1e-4, 1, "SpatialPyramidPooling backward");
    }

    /// <summary>Distinct values 0.01 apart in random order: no ties and no kinks within a difference step.</summary>
    private static float[] DistinctValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => (i - count / 2) * 0.01f).OrderBy(_ => random.Next()).ToArray();
    }
}
