using Engine.Devices;
using Engine.Kernels.Blas;
using Engine.Kernels.Convolution;
using Engine.Kernels.Convolution.Implicit;
using Engine.Kernels.Reduction;
using Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ForwardLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    Engine.Kernels.Blas.GemmParams, Engine.Kernels.Convolution.Implicit.ConvColumns, Engine.Kernels.Convolution.Implicit.ConvOutputEpilogue>;
using InputGradientLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    Engine.Kernels.Blas.GemmParams, Engine.Kernels.Convolution.Implicit.ConvWeightsTransposed, Engine.Kernels.Convolution.Implicit.ConvGradientColumns>;
using WeightGradientLauncher = System.Action<ILGPU.KernelConfig, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    Engine.Kernels.Blas.GemmParams, Engine.Kernels.Convolution.Implicit.ConvGradientRows, Engine.Kernels.Convolution.Implicit.ConvColumnsTransposed,
    Engine.Kernels.Convolution.Implicit.WeightBiasEpilogue>;

namespace Engine.Ops.Convolution;

/// <summary>
/// Convolution as implicit GEMM (<see cref="ImplicitConvKernels"/>) wherever products run on the
/// block-tiled GPU GEMMs: one launch per group for the forward pass with its bias and ReLU, one for
/// the input gradient (no col2im), and one batched launch for the weight gradient with the bias
/// gradient as its last column, plus the in-order sum of its K slices when it is split
/// (<see cref="WeightGradientSlicing"/>, as the explicit path splits). No column buffers: the
/// explicit path's im2col buffers (up to <see cref="ConvCore.ColumnBudgetBytes"/>) are not allocated.
/// </summary>
internal static class ImplicitConvolution
{
    private static readonly KernelLoader<ForwardLauncher> Forward128 =
        new("ImplicitConv.Forward128", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvColumns, ConvOutputEpilogue>(ImplicitConvKernels.Forward128));
    private static readonly KernelLoader<ForwardLauncher> Forward64 =
        new("ImplicitConv.Forward64", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvColumns, ConvOutputEpilogue>(ImplicitConvKernels.Forward64));
    private static readonly KernelLoader<InputGradientLauncher> InputGradient128 =
        new("ImplicitConv.InputGradient128", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvWeightsTransposed, ConvGradientColumns>(ImplicitConvKernels.InputGradient128));
    private static readonly KernelLoader<InputGradientLauncher> InputGradient64 =
        new("ImplicitConv.InputGradient64", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvWeightsTransposed, ConvGradientColumns>(ImplicitConvKernels.InputGradient64));
    private static readonly KernelLoader<WeightGradientLauncher> WeightGradient128 =
        new("ImplicitConv.WeightGradient128", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvGradientRows, ConvColumnsTransposed, WeightBiasEpilogue>(ImplicitConvKernels.WeightGradient128));
    private static readonly KernelLoader<WeightGradientLauncher> WeightGradient64 =
        new("ImplicitConv.WeightGradient64", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            GemmParams, ConvGradientRows, ConvColumnsTransposed, WeightBiasEpilogue>(ImplicitConvKernels.WeightGradient64));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>> SumSlicesLoader =
        new("SumSlices", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, int, int, int>(acc, ReductionKernels.SumSlices));
    private static readonly KernelLoader<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>> SumSlicesSplitLoader =
        new("SumSlicesSplit", acc => ChunkedKernel.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(acc, ReductionKernels.SumSlicesSplit));

    // Most batch entries (grid z) one launch takes: CUDA's limit on a grid's third axis.
    private const int MaxBatch = 65535;

    [ThreadStatic]
    private static bool? t_forced;

    /// <summary>
    /// Whether convolutions on <paramref name="device"/> run as implicit GEMM: where products run on
    /// the block-tiled GEMMs (a GPU, or <c>ENGINE_GEMM=shared</c>), or as forced on this thread by
    /// <see cref="Use"/>. Forcing it on a device whose groups are too small for those kernels throws
    /// <see cref="Blas.Resolve"/>'s refusal.
    /// </summary>
    internal static bool Applies(ComputeDevice device)
    {
        if (t_forced is bool forced)
        {
            if (forced)
                Blas.Resolve(device, GemmAlgorithm.SharedMemoryTiled);
            return forced;
        }
        return !HostPath.Applies(device) && Blas.Resolve(device, GemmAlgorithm.Auto) == GemmAlgorithm.SharedMemoryTiled;
    }

    /// <summary>Makes convolutions on this thread run as implicit GEMM (true) or through im2col (false) until disposed (tests prove both).</summary>
    internal static Scope Use(bool implicitGemm)
    {
        var previous = t_forced;
        t_forced = implicitGemm;
        return new Scope(previous);
    }

    /// <summary>The scope returned by <see cref="Use"/>.</summary>
    internal readonly struct Scope(bool? previous) : IDisposable
    {
        public void Dispose() => t_forced = previous;
    }

    /// <summary>
    /// <c>y = conv(x, w) (+ b)</c>, and <c>activated = relu(y)</c> when given. x <c>[N, Cin, H, W]</c>,
    /// w <c>[Cout, CinG, KH, KW]</c>, b <c>[Cout]</c>, y and activated <c>[N, Cout, OutH, OutW]</c>.
    /// </summary>
    internal static void Forward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w,
        ArrayView<float>? bias, ArrayView<float> y, ArrayView<float>? activated)
    {
        int mode = bias is null ? ConvOutputEpilogue.Plain : activated is null ? ConvOutputEpilogue.Bias : ConvOutputEpilogue.BiasRelu;
        int outPerGroup = g.OutChannelsPerGroup, rows = g.ColumnRows, pixels = g.ColumnCols;
        long inImage = (long)g.InChannels * g.H * g.W, outImage = (long)g.OutChannels * pixels;
        for (int first = 0; first < g.N; first += MaxBatch)
        {
            int images = Math.Min(MaxBatch, g.N - first);
            // Per image: y_g [CoutG, OHW] = w_g [CoutG, CinG*K*K] * columns(x_g) [CinG*K*K, OHW].
            var p = new GemmParams(outPerGroup, pixels, rows, rows, pixels, pixels, 0, inImage, outImage, images, 1f, 0f);
            var launch = device.Kernel(Large(device, p) ? Forward128 : Forward64);
            for (int group = 0; group < g.Groups; group++)
            {
                long outOffset = first * outImage + (long)group * outPerGroup * pixels;
                var yg = y.SubView(outOffset);
                launch(Config(device, p),
                    x.SubView(first * inImage + (long)group * g.InChannelsPerGroup * g.H * g.W),
                    w.SubView((long)group * outPerGroup * rows),
                    yg,
                    bias is { } b ? b.SubView((long)group * outPerGroup) : yg,
                    activated is { } a ? a.SubView(outOffset) : yg,
                    p, new ConvColumns(g), new ConvOutputEpilogue(mode));
                AddFlops(device, p);
            }
        }
    }

    /// <summary>
    /// <c>dx (+)= conv_input_grad(w, dy)</c> without columns. dy <c>[N, Cout, OutH, OutW]</c>, dx
    /// <c>[N, Cin, H, W]</c>. Where dx is too small to fill a GPU (deep layers: K = CoutG*KH*KW is
    /// large, dx small), K is cut into slices computed side by side and summed in order
    /// (<see cref="InputGradientSlices"/>, from the shape alone).
    /// </summary>
    internal static void InputGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx, bool accumulate)
    {
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup, taps = g.KH * g.KW, pixels = g.H * g.W;
        long inImage = (long)g.InChannels * pixels, outImage = (long)g.OutChannels * g.ColumnCols;
        int kTotal = Check.LaunchSize("Conv2d backward", (long)outPerGroup * taps);
        int chunk = Math.Min(MaxBatch, g.N);
        int maxSlices = InputGradientSlices(inPerGroup, pixels, chunk, kTotal, inImage);
        using var partial = maxSlices > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", maxSlices * chunk * inImage)) : null;
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            int slices = InputGradientSlices(inPerGroup, pixels, images, kTotal, inImage);
            int depth = (kTotal + slices - 1) / slices;
            slices = (kTotal + depth - 1) / depth;
            // Batch entry z = slice * images + image: dx_g [CinG, HW] (+)= w_g^T [CinG, slice of CoutG*K*K] * gathered(dy_g) [slice, HW].
            var p = new GemmParams(inPerGroup, pixels, depth, depth, pixels, pixels, 1, 1, inImage, images * slices, 1f, slices == 1 && accumulate ? 1f : 0f);
            var launch = device.Kernel(Large(device, p) ? InputGradient128 : InputGradient64);
            var target = slices == 1 ? dx.SubView(first * inImage) : partial!.View;
            for (int group = 0; group < g.Groups; group++)
            {
                launch(Config(device, p),
                    w.SubView((long)group * outPerGroup * inPerGroup * taps),
                    dy.SubView(first * outImage + (long)group * outPerGroup * g.ColumnCols),
                    target.SubView((long)group * inPerGroup * pixels),
                    p, new ConvWeightsTransposed(g, images, depth), new ConvGradientColumns(g, images, depth));
                AddFlops(device, p);
            }
            if (slices > 1)
                device.Kernel(SumSlicesLoader)(Check.LaunchSize("Conv2d backward", images * inImage), partial!.View, dx.SubView(first * inImage),
                    (int)(images * inImage), slices, Launch.Flag(accumulate));
        }
    }

    /// <summary>
    /// Slices of K for an input gradient whose product is <c>[rows, cols]</c> per image: one when its
    /// 64x64 blocks already give every planned multiprocessor two groups, otherwise enough to do so,
    /// each at least <see cref="MinInputGradientDepth"/> deep, with partial results under 64 MiB.
    /// </summary>
    internal static int InputGradientSlices(int rows, int cols, int images, int kTotal, long inImage)
    {
        long target = 2L * Blas.PlannedMultiprocessors;
        long blocks = (long)((rows + 63) / 64) * ((cols + 63) / 64) * images;
        if (blocks >= target)
            return 1;
        long wanted = (target + blocks - 1) / blocks;
        long byDepth = kTotal / MinInputGradientDepth;
        long byMemory = (16L << 20) / Math.Max(1, images * inImage);
        long byGrid = MaxBatch / images;
        return (int)Math.Max(1, Math.Min(Math.Min(wanted, byDepth), Math.Min(byMemory, byGrid)));
    }

    /// <summary>Fewest products (K) an input-gradient slice sums.</summary>
    internal const int MinInputGradientDepth = 256;

    /// <summary>
    /// <c>dw (+)= sum_n dy[n, g] columns(x[n, g])^T</c> and, when <paramref name="bias"/> is given,
    /// <c>db (+)= sum over n, oh, ow of dy</c> as the product's last column: one batched launch per
    /// group over <c>K = N * OutH * OutW</c> cut into slices (a shorter last one reads zeros past K),
    /// then one in-order sum of the slices (none when there is one). The split is <see cref="WeightGradientSlicing"/>'s.
    /// </summary>
    internal static void WeightGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> dy,
        ArrayView<float> dw, ArrayView<float>? bias, bool accumulate)
    {
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup, rows = g.ColumnRows, plane = g.ColumnCols;
        int columns = bias is null ? rows : rows + 1;
        long weights = (long)g.OutChannels * rows;
        long perSlice = bias is null ? weights : weights + g.OutChannels; // one slice's partial results: the weights', then the bias's
        long inImage = (long)g.InChannels * g.H * g.W, outImage = (long)g.OutChannels * plane;
        // K = images * OutH * OutW is an int in the kernels' arithmetic.
        int chunk = (int)Math.Clamp(int.MaxValue / plane, 1, g.N);
        var slicing = WeightGradientSlicing.For(weights, (long)chunk * plane);
        int maxSlices = slicing.Slices((long)chunk * plane);
        using var partial = maxSlices > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", maxSlices * perSlice)) : null;
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            bool add = accumulate || first > 0;
            int k = images * plane;
            int depth = Math.Min(slicing.Depth, k);
            int slices = (k + depth - 1) / depth;
            float beta = slices == 1 && add ? 1f : 0f;
            for (int group = 0; group < g.Groups; group++)
            {
                var a = dy.SubView(first * outImage + (long)group * outPerGroup * plane);
                var b = x.SubView(first * inImage + (long)group * inPerGroup * g.H * g.W);
                var c = slices == 1 ? dw.SubView((long)group * outPerGroup * rows) : partial!.View.SubView((long)group * outPerGroup * rows);
                var db = bias is not { } biasView ? c
                    : slices == 1 ? biasView.SubView((long)group * outPerGroup) : partial!.View.SubView(weights + (long)group * outPerGroup);
                // Slice s: dw_g [CoutG, CinG*K*K (+1)] = dy_g [CoutG, depth] * columns_g^T [depth, CinG*K*K (+ ones)].
                var p = new GemmParams(outPerGroup, columns, depth, k, rows, rows, 1, 1, perSlice, slices, 1f, beta);
                LaunchSlices(device, p, a, b, c, db, new ConvGradientRows(g, images, depth), new ConvColumnsTransposed(g, images, depth),
                    new WeightBiasEpilogue(rows, perSlice));
            }
            if (slices > 1)
                device.Kernel(SumSlicesSplitLoader)(Check.LaunchSize("Conv2d backward", perSlice), partial!.View, dw, bias ?? dw,
                    (int)weights, (int)perSlice, slices, Launch.Flag(add));
        }
    }

    private static void LaunchSlices(ComputeDevice device, in GemmParams p, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> dw, ArrayView<float> db,
        ConvGradientRows rows, ConvColumnsTransposed columns, WeightBiasEpilogue epilogue)
    {
        device.Kernel(Large(device, p) ? WeightGradient128 : WeightGradient64)(Config(device, p), dy, x, dw, db, p, rows, columns, epilogue);
        AddFlops(device, p);
    }

    private static bool Large(ComputeDevice device, in GemmParams p) => Blas.UsesLargeTiles(device, p);

    private static KernelConfig Config(ComputeDevice device, in GemmParams p)
    {
        bool large = Large(device, p);
        int block = large ? GemmLargeTileKernels.BlockRows : GemmSharedTiledKernels.BlockRows;
        int side = large ? GemmLargeTileKernels.GroupSide : GemmSharedTiledKernels.GroupSide;
        return new KernelConfig(new Index3D((p.N + block - 1) / block, (p.M + block - 1) / block, p.Batch), new Index3D(side, side, 1));
    }

    private static void AddFlops(ComputeDevice device, in GemmParams p) => device.Profile?.AddFlops(2.0 * p.M * p.N * p.K * p.Batch);
}
