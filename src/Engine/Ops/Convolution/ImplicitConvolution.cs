using Engine.Devices;
using Engine.Kernels.Blas;
using Engine.Kernels.Convolution;
using Engine.Kernels.Convolution.Implicit;
using Engine.Kernels.Reduction;
using Engine.Tensors;
using ILGPU;

namespace Engine.Ops.Convolution;

/// <summary>
/// Convolution as implicit GEMM (<see cref="ImplicitConvKernels"/>) wherever products run on the
/// block-tiled GPU GEMMs: one launch per group for the forward pass with its bias and ReLU, and one
/// for the backward pass (the input gradient without col2im beside the weight gradient, whose last
/// column is the bias gradient, reading the output gradient through a fused ReLU on the fly), plus
/// the in-order sums of K slices where a product is split to fill a GPU. No column buffers: the
/// explicit path's im2col buffers (up to <see cref="ConvCore.ColumnBudgetBytes"/>) are not allocated.
/// </summary>
internal static class ImplicitConvolution
{
    // Most batch entries (grid z) one launch takes: CUDA's limit on a grid's third axis.
    private const int MaxBatch = Blas.MaxBatchPerLaunch;

    /// <summary>
    /// <c>y = conv(x, w) (+ b)</c>, and <c>activated = relu(y)</c> when given. x <c>[N, Cin, H, W]</c>,
    /// w <c>[Cout, CinG, KH, KW]</c>, b <c>[Cout]</c>, y and activated <c>[N, Cout, OutH, OutW]</c>.
    /// </summary>
    internal static void Forward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w,
        ArrayView<float>? bias, ArrayView<float> y, ArrayView<float>? activated)
    {
        CheckOffsets(g);
        int mode = bias is null ? ConvOutputEpilogue.Plain : activated is null ? ConvOutputEpilogue.Bias : ConvOutputEpilogue.BiasRelu;
        int outPerGroup = g.OutChannelsPerGroup, rows = g.ColumnRows, pixels = g.ColumnCols;
        long inImage = (long)g.InChannels * g.H * g.W, outImage = (long)g.OutChannels * pixels;
        bool pointwise = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;
        for (int first = 0; first < g.N; first += MaxBatch)
        {
            int images = Math.Min(MaxBatch, g.N - first);
            if (Folds(pixels, images))
            {
                FoldedForward(device, g, x, w, bias, y, activated, mode, first, images);
                continue;
            }
            // Per image: y_g [CoutG, OHW] = w_g [CoutG, CinG*K*K] * columns(x_g) [CinG*K*K, OHW]; a 1x1
            // convolution's columns are x_g itself, read as a matrix.
            var p = new GemmParams(outPerGroup, pixels, rows, rows, pixels, pixels, 0, inImage, outImage, images, 1f, 0f);
            bool large = Large(device, p);
            var launch = device.Kernel(large ? ImplicitConvLoaders.Forward128 : ImplicitConvLoaders.Forward64);
            var launchPointwise = pointwise ? device.Kernel(large ? ImplicitConvLoaders.Pointwise128 : ImplicitConvLoaders.Pointwise64) : null;
            for (int group = 0; group < g.Groups; group++)
            {
                long outOffset = first * outImage + (long)group * outPerGroup * pixels;
                var yg = y.SubView(outOffset);
                var xg = x.SubView(first * inImage + (long)group * g.InChannelsPerGroup * g.H * g.W);
                var wg = w.SubView((long)group * outPerGroup * rows);
                var bg = bias is { } b ? b.SubView((long)group * outPerGroup) : yg;
                var ag = activated is { } a ? a.SubView(outOffset) : yg;
                if (launchPointwise is not null)
                    launchPointwise(Config(device, p), xg, wg, yg, bg, ag, p, new ConvOutputEpilogue(mode));
                else
                    launch(Config(device, p), xg, wg, yg, bg, ag, p, new ConvColumns(g), new ConvOutputEpilogue(mode));
                AddFlops(device, p);
            }
        }
    }

    /// <summary>
    /// Whether a forward pass folds its images into N: where per-image products would leave more than
    /// a tenth of their 128-wide tiles' columns empty (ResNet-50 at 224: 7x7 planes use 49 of 128,
    /// 14x14 196 of 256, 28x28 784 of 896). Folding costs its gather about 3 points of FFMA share
    /// (splitting a column into image and pixel; docs/PERFORMANCE.md), less than the columns it fills.
    /// </summary>
    internal static bool Folds(int pixels, int images)
    {
        const int tile = GemmLargeTileKernels.BlockCols;
        long columns = (pixels + tile - 1) / tile * (long)tile;
        return images > 1 && pixels * 10L < columns * 9 && (long)images * pixels <= int.MaxValue;
    }

    // The forward pass of `images` images from `first` on as one product per group:
    // y_g [CoutG, images * OHW] = w_g [CoutG, CinG*K*K] * foldedColumns(x_g) [CinG*K*K, images * OHW].
    private static void FoldedForward(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> w,
        ArrayView<float>? bias, ArrayView<float> y, ArrayView<float>? activated, int mode, int first, int images)
    {
        int outPerGroup = g.OutChannelsPerGroup, rows = g.ColumnRows, pixels = g.ColumnCols, columns = images * pixels;
        long inImage = (long)g.InChannels * g.H * g.W, outImage = (long)g.OutChannels * pixels;
        var p = new GemmParams(outPerGroup, columns, rows, rows, columns, columns, 0, 0, 0, 1, 1f, 0f);
        var launch = device.Kernel(Large(device, p) ? ImplicitConvLoaders.ForwardFolded128 : ImplicitConvLoaders.ForwardFolded64);
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
                p, new ConvColumnsFolded(g, inImage), new FoldedOutputEpilogue(mode, pixels, outImage));
            AddFlops(device, p);
        }
    }

    /// <summary><c>dx (+)= conv_input_grad(w, dy)</c> without columns (<see cref="Backward"/> with the input gradient alone); stride 1 (a strided one runs as GEMM + col2im, <see cref="ConvCore.InputGradient"/>).</summary>
    internal static void InputGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx, bool accumulate) =>
        Backward(device, g, new ConvBackwardRequest(dy) { W = w, Dx = dx, AccumulateInput = accumulate });

    /// <summary><c>dw (+)= sum_n dy[n, g] columns(x[n, g])^T</c> (<see cref="Backward"/> with the weight gradient alone).</summary>
    internal static void WeightGradient(ComputeDevice device, in ConvGeometry g, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, bool accumulate) =>
        Backward(device, g, new ConvBackwardRequest(dy) { X = x, Dw = dw, AccumulateWeights = accumulate });

    /// <summary>
    /// A transposed convolution's forward pass as the input gradient of its adjoint convolution
    /// <paramref name="adjoint"/> (whose output gradient is x), with the bias in the epilogue: no
    /// zero-dilated copy of x and no flipped copy of w. x <c>[N, Cin, H, W]</c>, w <c>[Cin, CoutG, KH, KW]</c>.
    /// </summary>
    internal static void TransposedForward(ComputeDevice device, in ConvGeometry adjoint, ArrayView<float> x, ArrayView<float> w,
        ArrayView<float>? bias, ArrayView<float> y) =>
        Backward(device, adjoint, new ConvBackwardRequest(x) { W = w, Dx = y, OutputBias = bias });

    /// <summary>
    /// A convolution's backward products without columns, both in one launch per group: the input
    /// gradient <c>dx (+)= w^T * gathered(dy)</c> (when <see cref="ConvBackwardRequest.Dx"/> is given)
    /// and the weight gradient <c>dw (+)= dy * columns(x)^T</c> with the bias gradient as the
    /// product's last column (when <see cref="ConvBackwardRequest.Dw"/> is given, its bias gradient too
    /// if given). Either product's K may be cut into slices summed in order afterwards
    /// (<see cref="InputGradientSlices"/>, <see cref="WeightGradientSlicing"/>). With a ReLU's input
    /// (<see cref="ConvBackwardRequest.ReluPre"/>), dy is the gradient of <c>relu(reluPre)</c> and both
    /// products read the gradient through the ReLU on the fly, as ReLU's backward would have written
    /// it. An output bias adds a bias to dx (a transposed convolution's forward pass; dx then stays in
    /// one slice). A strided convolution's input gradient is not taken here: gathered per input pixel
    /// it would multiply every tap, stride^2 times the useful products, so it runs as GEMM and col2im
    /// (<see cref="ConvCore.InputGradient"/>; a transposed convolution's forward pass, the one strided
    /// product taken here, multiplied those zeros as zero-dilation did).
    /// dy <c>[N, Cout, OutH, OutW]</c>, x and dx <c>[N, Cin, H, W]</c>, w and dw <c>[Cout, CinG, KH, KW]</c>.
    /// </summary>
    internal static void Backward(ComputeDevice device, in ConvGeometry g, in ConvBackwardRequest request)
    {
        CheckOffsets(g);
        var (dy, x, dx, dw, db) = (request.Dy, request.X, request.Dx, request.Dw, request.Db);
        // The weights, or where only the weight gradient is asked, a view the launch passes unread.
        var w = request.W ?? dw ?? throw new ArgumentException("Conv2d backward: the input gradient needs the weights.");
        var (reluPre, outputBias) = (request.ReluPre, request.OutputBias);
        bool accumulateInput = request.AccumulateInput, accumulateWeights = request.AccumulateWeights;
        if (dx is not null && outputBias is null && ConvReluFusion.IsStrided(g))
            throw new ArgumentException($"Implicit GEMM takes no strided input gradient (stride {g.StrideH}x{g.StrideW}): it runs as GEMM + col2im.");
        if (reluPre is not null && !ConvReluFusion.TakesReluBackward(device, g, dx is not null, db is not null && dw is null))
            throw new ArgumentException("This convolution's backward pass does not take a ReLU's backward pass (ConvReluFusion.TakesReluBackward).");
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup, taps = g.KH * g.KW;
        int pixels = g.H * g.W, plane = g.ColumnCols, rows = g.ColumnRows;
        long inImage = (long)g.InChannels * pixels, outImage = (long)g.OutChannels * plane;
        int kInput = Check.LaunchSize("Conv2d backward", (long)outPerGroup * taps);
        int columns = db is null ? rows : rows + 1;
        long weights = (long)g.OutChannels * rows;
        long perSlice = db is null ? weights : weights + g.OutChannels; // one slice's partial results: the weights', then the bias's
        bool masked = reluPre is not null;
        var mask = reluPre ?? dy;

        // K of the weight gradient (images * OutH * OutW) is an int in the kernels' arithmetic, and
        // one launch's batch entries (grid z) stay under CUDA's 65,535.
        int chunk = (int)Math.Min(Math.Min(g.N, int.MaxValue / plane), MaxImagesPerLaunch);
        int maxInputSlices = dx is null || outputBias is not null ? 1 : InputGradientSlices(inPerGroup, pixels, chunk, kInput, inImage);
        var slicing = WeightGradientSlicing.For(weights, (long)chunk * plane);
        int maxWeightSlices = dw is null ? 1 : WeightSlices(slicing, (long)chunk * plane).Slices;
        using var inputPartial = maxInputSlices > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", maxInputSlices * chunk * inImage)) : null;
        using var weightPartial = maxWeightSlices > 1 ? Tensor.Empty(device, Check.LaunchSize("Conv2d backward", maxWeightSlices * perSlice)) : null;
        for (int first = 0; first < g.N; first += chunk)
        {
            int images = Math.Min(chunk, g.N - first);
            bool addWeights = accumulateWeights || first > 0;

            // Input gradient, batch entry z = slice * images + image:
            // dx_g [CinG, HW] (+)= w_g^T [CinG, slice of CoutG*K*K] * gathered(dy_g) [slice, HW].
            int inputSlices = dx is null || outputBias is not null ? 1 : InputGradientSlices(inPerGroup, pixels, images, kInput, inImage);
            int inputDepth = (kInput + inputSlices - 1) / inputSlices;
            inputSlices = (kInput + inputDepth - 1) / inputDepth;
            var pInput = dx is null ? NoProduct
                : new GemmParams(inPerGroup, pixels, inputDepth, inputDepth, pixels, pixels, 1, 1, inImage, images * inputSlices, 1f,
                    inputSlices == 1 && accumulateInput ? 1f : 0f);

            // Weight gradient, batch entry s = slice of K = images * OutH * OutW:
            // dw_g [CoutG, CinG*K*K (+1)] = dy_g [CoutG, slice] * columns_g^T [slice, CinG*K*K (+ ones)].
            int k = images * plane;
            var (weightSlices, depth) = dw is null ? (1, k) : WeightSlices(slicing, k);
            var pWeight = dw is null ? NoProduct
                : new GemmParams(outPerGroup, columns, depth, k, rows, rows, 1, 1, perSlice, weightSlices, 1f, weightSlices == 1 && addWeights ? 1f : 0f);

            var jobs = new ConvBackwardJobs(
                new ConvWeightsTransposed(g, images, inputDepth), new ConvGradientColumns(g, images, inputDepth, masked),
                new ConvOutputEpilogue(outputBias is null ? ConvOutputEpilogue.Plain : ConvOutputEpilogue.Bias),
                new ConvGradientRows(g, images, depth, masked), new ConvColumnsTransposed(g, images, depth), new WeightBiasEpilogue(rows, perSlice));
            bool large = UsesLargeTiles(device, pInput, pWeight);
            var launch = device.Kernel(large ? ImplicitConvLoaders.Backward128 : ImplicitConvLoaders.Backward64);
            var config = Config(large, pInput, pWeight);
            for (int group = 0; group < g.Groups; group++)
            {
                long outOffset = first * outImage + (long)group * outPerGroup * plane;
                long inOffset = first * inImage + (long)group * inPerGroup * pixels;
                var dyg = dy.SubView(outOffset);
                var dxg = dx is not { } dxView ? dyg : inputSlices == 1 ? dxView.SubView(inOffset) : inputPartial!.View.SubView((long)group * inPerGroup * pixels);
                var dwg = dw is not { } dwView ? dyg
                    : weightSlices == 1 ? dwView.SubView((long)group * outPerGroup * rows) : weightPartial!.View.SubView((long)group * outPerGroup * rows);
                var dbg = db is not { } dbView ? dwg
                    : weightSlices == 1 ? dbView.SubView((long)group * outPerGroup) : weightPartial!.View.SubView(weights + (long)group * outPerGroup);
                launch(config,
                    w.SubView((long)group * outPerGroup * inPerGroup * taps), dyg, mask.SubView(outOffset), dxg,
                    outputBias is { } bias ? bias.SubView((long)group * inPerGroup) : dxg,
                    dw is null ? dyg : x.SubView(inOffset), dwg, dbg, pInput, pWeight, jobs);
                AddFlops(device, pInput);
                AddFlops(device, pWeight);
            }
            if (inputSlices > 1)
                device.Kernel(ReductionLoaders.SumSlices)(Check.LaunchSize("Conv2d backward", images * inImage), inputPartial!.View, dx!.Value.SubView(first * inImage),
                    (int)(images * inImage), inputSlices, Launch.Flag(accumulateInput));
            if (weightSlices > 1)
                device.Kernel(ReductionLoaders.SumSlicesSplit)(Check.LaunchSize("Conv2d backward", perSlice), weightPartial!.View, dw!.Value, db ?? dw!.Value,
                    (int)weights, (int)perSlice, weightSlices, Launch.Flag(addWeights));
        }
    }

    /// <summary>
    /// The gathers index one image's input and output gradient, and the weights, with 32-bit offsets
    /// (<see cref="ConvGather"/>): refuses a convolution where one of them holds 2^31 elements or more.
    /// </summary>
    internal static void CheckOffsets(in ConvGeometry g)
    {
        long input = (long)g.InChannels * g.H * g.W, output = (long)g.OutChannels * g.OutH * g.OutW;
        long weights = (long)g.OutChannels * g.InChannelsPerGroup * g.KH * g.KW;
        if (input > int.MaxValue || output > int.MaxValue || weights > int.MaxValue)
            throw new ArgumentException(
                $"Conv2d: one image's input ({g.InChannels} x {g.H} x {g.W} = {input} values), output ({g.OutChannels} x {g.OutH} x {g.OutW} = {output}) " +
                $"and the weights ({weights}) must each hold fewer than 2^31 values: the GPU convolution kernels index them with 32-bit offsets.");
    }

    // A product with no batch entries: one side of a backward launch that runs the other alone.
    private static readonly GemmParams NoProduct = new(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1f, 0f);

    // Most images one backward launch takes: input-gradient entries (images times slices, at most
    // MaxBatch / 2) and weight-gradient slices (at most MaxBatch / 2) share the grid's z.
    private const int MaxImagesPerLaunch = MaxBatch / 2;

    // The weight gradient's slices of K and their depth, at most MaxBatch / 2 of them.
    private static (int Slices, int Depth) WeightSlices(WeightGradientSlicing slicing, long k)
    {
        long depth = Math.Max(Math.Min(slicing.Depth, k), (k + MaxBatch / 2 - 1) / (MaxBatch / 2));
        return ((int)((k + depth - 1) / depth), (int)depth);
    }

    /// <summary>
    /// Slices of K for an input gradient whose product is <c>[rows, cols]</c> per image: one when its
    /// 64x64 blocks already give every planned multiprocessor two groups, otherwise enough to do so,
    /// each at least <see cref="MinInputGradientDepth"/> deep, with partial results under 64 MiB.
    /// </summary>
    internal static int InputGradientSlices(int rows, int cols, int images, int kTotal, long inImage)
    {
        long target = 2L * ExecutionPaths.PlannedMultiprocessors;
        const int block = GemmSharedTiledKernels.BlockRows; // 64, as BlockCols
        long blocks = (long)((rows + block - 1) / block) * ((cols + block - 1) / block) * images;
        if (blocks >= target)
            return 1;
        long wanted = (target + blocks - 1) / blocks;
        long byDepth = kTotal / MinInputGradientDepth;
        long byMemory = (16L << 20) / Math.Max(1, images * inImage);
        long byGrid = MaxBatch / 2 / images;
        return (int)Math.Max(1, Math.Min(Math.Min(wanted, byDepth), Math.Min(byMemory, byGrid)));
    }

    /// <summary>Fewest products (K) an input-gradient slice sums.</summary>
    internal const int MinInputGradientDepth = 256;

    private static bool UsesLargeTiles(ComputeDevice device, in GemmParams a, in GemmParams b) =>
        Blas.UsesLargeTiles(device, Groups(a, GemmLargeTileKernels.BlockRows) + Groups(b, GemmLargeTileKernels.BlockRows));

    private static long Groups(in GemmParams p, int block) => (long)((p.M + block - 1) / block) * ((p.N + block - 1) / block) * p.Batch;

    private static KernelConfig Config(bool large, in GemmParams a, in GemmParams b)
    {
        int block = large ? GemmLargeTileKernels.BlockRows : GemmSharedTiledKernels.BlockRows;
        int side = large ? GemmLargeTileKernels.GroupSide : GemmSharedTiledKernels.GroupSide;
        int gx = Math.Max(a.Batch > 0 ? (a.N + block - 1) / block : 0, b.Batch > 0 ? (b.N + block - 1) / block : 0);
        int gy = Math.Max(a.Batch > 0 ? (a.M + block - 1) / block : 0, b.Batch > 0 ? (b.M + block - 1) / block : 0);
        return new KernelConfig(new Index3D(gx, gy, a.Batch + b.Batch), new Index3D(side, side, 1));
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

    /// <summary>
    /// Bytes <see cref="Backward"/> holds at once for the products asked for: the two products'
    /// partial results (a strided input gradient, which runs as GEMM + col2im, not counted).
    /// Mirrors the sizes <see cref="Backward"/> computes.
    /// </summary>
    internal static long BackwardWorkspace(in ConvGeometry g, bool dx, bool dw, bool db, bool outputBias)
    {
        int pixels = g.H * g.W, plane = g.ColumnCols, rows = g.ColumnRows;
        long inImage = (long)g.InChannels * pixels;
        int kInput = (int)Math.Min(int.MaxValue, (long)g.OutChannelsPerGroup * g.KH * g.KW);
        long weights = (long)g.OutChannels * rows;
        long perSlice = db && dw ? weights + g.OutChannels : weights;
        int chunk = (int)Math.Min(Math.Min(g.N, int.MaxValue / plane), MaxImagesPerLaunch);
        int maxInputSlices = !dx || outputBias ? 1 : InputGradientSlices(g.InChannelsPerGroup, pixels, chunk, kInput, inImage);
        var slicing = WeightGradientSlicing.For(weights, (long)chunk * plane);
        int maxWeightSlices = !dw ? 1 : WeightSlices(slicing, (long)chunk * plane).Slices;
        return 4 * ((maxInputSlices > 1 ? maxInputSlices * chunk * inImage : 0) + (maxWeightSlices > 1 ? maxWeightSlices * perSlice : 0));
    }
}
