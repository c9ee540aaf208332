using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// Fully convolutional networks (Long, Shelhamer and Darrell 2015) as their Caffe reference
/// (<c>voc-fcn32s</c>, <c>voc-fcn16s</c>, <c>voc-fcn8s</c>): VGG-16's thirteen 3x3 convolutions
/// with ReLU and five 2x2 max poolings (Caffe's rounding up, <c>ceil_mode=True</c>), its fully
/// connected layers as convolutions (<c>fc6</c> 7x7 to 4096 channels, <c>fc7</c> 1x1, each with
/// ReLU and dropout 0.5), 1x1 score layers, and transposed convolutions that upsample the scores.
/// FCN-16s and FCN-8s fuse pool4's and pool3's scores by addition after cropping them to line up
/// with the upsampled prediction; the final output is cropped to the input's size. Crop offsets
/// are computed from the layers' geometry (<see cref="CoordinateMap"/>): with the reference's
/// padding of 100 on <c>conv1_1</c> they are Caffe's 19 (32s), 5 and 27 (16s), 5, 9 and 31 (8s).
/// <para>
/// Upsampling weights start as bilinear interpolation (<see cref="Initializer.BilinearUpsampling"/>);
/// the last one stays fixed and the intermediate ones learn, as in the paper. The skip scores
/// (<c>score_pool4</c>, <c>score_pool3</c>) start at zero, so a new FCN-8s predicts what its
/// FCN-32s path does. Names are the reference's (<c>conv3_2.weight</c>, <c>score_fr.bias</c>,
/// <c>upscore_pool4.weight</c>). With 21 classes FCN-32s has 136,152,917 parameters, of which
/// 1,806,336 are the fixed upsampling.
/// </para>
/// <para>
/// The light configurations: <c>width</c> (64) and <c>fcChannels</c> (4096) scale the network,
/// <c>batchNorm</c> adds batch norm after each convolution of the backbone, and <c>padded</c>
/// pads <c>conv1_1</c> by 1, <c>fc6</c> by 3 and each upsampling by (k - s) / 2 instead of the
/// reference's 100 on <c>conv1_1</c>: every crop offset is then 0 and the backbone computes on
/// the image itself rather than a 200-pixel border, for sides divisible by 32.
/// </para>
/// </summary>
public sealed class Fcn : Module
{
    private static readonly int[] ConvsPerBlock = [2, 2, 3, 3, 3];
    private readonly bool _batchNorm;
    private readonly int _inputPadding, _fc6Padding;

    /// <summary>Creates the network.</summary>
    /// <param name="classes">Output classes (21 for PASCAL VOC).</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="variant">FCN-32s, 16s or 8s.</param>
    /// <param name="width">conv1's channels (64 in VGG-16); the blocks have width, 2, 4, 8 and 8 times it.</param>
    /// <param name="fcChannels">fc6's and fc7's channels (4096).</param>
    /// <param name="padded">Paddings that keep every crop at offset 0 (the light configuration), instead of the reference's 100.</param>
    /// <param name="batchNorm">Batch norm after each backbone convolution (<c>bn1_1</c>, ...; the convolutions then have no bias).</param>
    public Fcn(int classes = 21, int inChannels = 3, FcnVariant variant = FcnVariant.Fcn8s, int width = 64, int fcChannels = 4096, bool padded = false, bool batchNorm = false)
    {
        if (classes <= 0 || inChannels <= 0 || width <= 0 || fcChannels <= 0)
            throw new ArgumentException($"FCN: classes {classes}, inChannels {inChannels}, width {width} and fcChannels {fcChannels} must be positive.");
        if (!Enum.IsDefined(variant))
            throw new ArgumentException($"FCN: unknown variant {variant}.", nameof(variant));
        Variant = variant;
        Padded = padded;
        _batchNorm = batchNorm;
        _inputPadding = padded ? 1 : 100;
        _fc6Padding = padded ? 3 : 0;
        int channels = inChannels;
        for (int block = 1; block <= 5; block++)
        {
            int outChannels = width << Math.Min(block - 1, 3);
            for (int i = 1; i <= ConvsPerBlock[block - 1]; i++)
            {
                Register($"conv{block}_{i}", new Conv2d(channels, outChannels, 3, padding: block == 1 && i == 1 ? _inputPadding : 1, bias: !batchNorm));
                if (batchNorm)
                    Register($"bn{block}_{i}", new BatchNorm2d(outChannels));
                channels = outChannels;
            }
        }
        Register("fc6", new Conv2d(channels, fcChannels, 7, padding: _fc6Padding));
        Register("fc7", new Conv2d(fcChannels, fcChannels, 1));
        Register("score_fr", new Conv2d(fcChannels, classes, 1));
        switch (variant)
        {
            case FcnVariant.Fcn32s:
                Upsampling("upscore", classes, 32, learned: false);
                break;
            case FcnVariant.Fcn16s:
                Skip("score_pool4", 8 * width, classes);
                Upsampling("upscore2", classes, 2, learned: true);
                Upsampling("upscore16", classes, 16, learned: false);
                break;
            default:
                Skip("score_pool4", 8 * width, classes);
                Skip("score_pool3", 4 * width, classes);
                Upsampling("upscore2", classes, 2, learned: true);
                Upsampling("upscore_pool4", classes, 2, learned: true);
                Upsampling("upscore8", classes, 8, learned: false);
                break;
        }
    }

    /// <summary>FCN-32s, 16s or 8s.</summary>
    public FcnVariant Variant { get; }

    /// <summary>True for the light configuration's paddings (every crop at offset 0).</summary>
    public bool Padded { get; }

    /// <summary>The crop offsets, in the order they are applied: (skip or output, offset).</summary>
    public IReadOnlyList<(string Crop, int Offset)> CropOffsets
    {
        get
        {
            var (pool3, pool4, pool5) = PoolMaps();
            var score = pool5.Convolved(7, 1, _fc6Padding);
            var offsets = new List<(string, int)>();
            if (Variant == FcnVariant.Fcn32s)
            {
                offsets.Add(("upscore", Deconvolved(score, "upscore").CropOffset(CoordinateMap.Identity, "upscore")));
                return offsets;
            }
            var up2 = Deconvolved(score, "upscore2");
            offsets.Add(("score_pool4", pool4.CropOffset(up2, "score_pool4")));
            if (Variant == FcnVariant.Fcn16s)
            {
                offsets.Add(("upscore16", Deconvolved(up2, "upscore16").CropOffset(CoordinateMap.Identity, "upscore16")));
                return offsets;
            }
            var up4 = Deconvolved(up2, "upscore_pool4");
            offsets.Add(("score_pool3", pool3.CropOffset(up4, "score_pool3")));
            offsets.Add(("upscore8", Deconvolved(up4, "upscore8").CropOffset(CoordinateMap.Identity, "upscore8")));
            return offsets;
        }
    }

    private void Upsampling(string name, int classes, int factor, bool learned)
    {
        int k = 2 * factor;
        var layer = Register(name, new ConvTranspose2d(classes, classes, k, stride: factor, padding: Padded ? (k - factor) / 2 : 0, bias: false));
        layer.Weight.Init = new Initializer.BilinearUpsampling();
        layer.Weight.RequiresGrad = learned;
    }

    private void Skip(string name, int channels, int classes)
    {
        var layer = Register(name, new Conv2d(channels, classes, 1));
        layer.Weight.Init = new Initializer.Constant(0f);
        layer.Bias!.Init = new Initializer.Constant(0f);
    }

    private CoordinateMap Deconvolved(CoordinateMap map, string layer)
    {
        var up = (ConvTranspose2d)Child(layer);
        return map.Deconvolved(up.Weight.Shape[2], up.Stride.H, up.Padding.H);
    }

    /// <summary>Where pool3's, pool4's and pool5's pixels lie in the input.</summary>
    private (CoordinateMap Pool3, CoordinateMap Pool4, CoordinateMap Pool5) PoolMaps()
    {
        var map = CoordinateMap.Identity.Convolved(3, 1, _inputPadding); // conv1_1; the other 3x3 convolutions (padding 1) keep the map
        var pools = new CoordinateMap[5];
        for (int block = 0; block < 5; block++)
            pools[block] = map = map.Convolved(2, 2, 0);
        return (pools[2], pools[3], pools[4]);
    }

    /// <inheritdoc/>
    protected override Node Forward(Node x)
    {
        var pools = new Node[5];
        var h = x;
        for (int block = 1; block <= 5; block++)
        {
            for (int i = 1; i <= ConvsPerBlock[block - 1]; i++)
            {
                h = Call($"conv{block}_{i}", h);
                if (_batchNorm)
                    h = Call($"bn{block}_{i}", h);
                h = h.Relu();
            }
            h = pools[block - 1] = new MaxPool2d(2, stride: 2, ceilMode: true).Call(h, $"pool{block}");
        }
        h = new Dropout(0.5f).Call(Call("fc6", h).Relu(), "drop6");
        h = new Dropout(0.5f).Call(Call("fc7", h).Relu(), "drop7");
        var score = Call("score_fr", h);
        var offsets = CropOffsets.ToDictionary(o => o.Crop, o => o.Offset);
        if (Variant == FcnVariant.Fcn32s)
            return Output(Call("upscore", score), x, offsets["upscore"]);
        var up2 = Call("upscore2", score);
        var fused = up2.Add(CropLike(Call("score_pool4", pools[3]), up2, offsets["score_pool4"], "score_pool4"));
        if (Variant == FcnVariant.Fcn16s)
            return Output(Call("upscore16", fused), x, offsets["upscore16"]);
        var up4 = Call("upscore_pool4", fused);
        fused = up4.Add(CropLike(Call("score_pool3", pools[2]), up4, offsets["score_pool3"], "score_pool3"));
        return Output(Call("upscore8", fused), x, offsets["upscore8"]);
    }

    /// <summary>Caffe's <c>Crop</c> of a skip's scores to the upsampled prediction's size.</summary>
    private static Node CropLike(Node skip, Node reference, int offset, string what)
    {
        int h = reference.Shape[2], w = reference.Shape[3];
        if (skip.Shape[2] < offset + h || skip.Shape[3] < offset + w)
            throw new ArgumentException($"FCN: {what} is {skip.Shape[2]}x{skip.Shape[3]} but must hold a {h}x{w} window at offset {offset}; " +
                "with padded layers the input's sides must be multiples of 32.");
        return skip.Crop(h, w, offset, offset);
    }

    private static Node Output(Node upsampled, Node x, int offset)
    {
        int h = x.Shape[2], w = x.Shape[3];
        if (upsampled.Shape[2] < offset + h || upsampled.Shape[3] < offset + w)
            throw new ArgumentException($"FCN: the upsampled scores are {upsampled.Shape[2]}x{upsampled.Shape[3]} but must hold the {h}x{w} input at offset {offset}; " +
                "with padded layers the input's sides must be multiples of 32.");
        return upsampled.Crop(h, w, offset, offset);
    }
}
