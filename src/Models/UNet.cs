using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Upsampling;

namespace Engine.Models;

/// <summary>How a U-Net's decoder doubles the resolution.</summary>
public enum UNetUpsampling
{
    /// <summary>2x2 stride-2 transposed convolution halving the channels (the paper's up-convolution).</summary>
    TransposedConvolution,
    /// <summary>Bilinear x2 (align_corners) followed by a 1x1 convolution halving the channels.</summary>
    Bilinear,
    /// <summary>A 1x1 convolution halving the channels, then max-unpooling with the encoder's pooling indices (needs padded convolutions).</summary>
    MaxUnpool,
    /// <summary>Nearest-neighbour x2 followed by a 1x1 convolution halving the channels.</summary>
    Nearest,
    /// <summary>"Bed of nails" x2 (each value at the top-left of its 2x2 block, zeros elsewhere) followed by a 1x1 convolution halving the channels.</summary>
    BedOfNails,
}

/// <summary>
/// U-Net (Ronneberger et al. 2015): per level two 3x3 convolutions with ReLU, 2x2 max pooling,
/// channels doubling from <c>baseWidth</c>; the decoder upsamples, concatenates the centre-cropped
/// encoder features and applies two more convolutions; a final 1x1 convolution gives the classes.
/// With the defaults a 572x572x1 input gives 388x388x2 and the model has 31,030,658 parameters.
/// </summary>
public sealed class UNet : Module
{
    private readonly int _depth;
    private readonly UNetUpsampling _upsampling;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="classes">Output channels (classes).</param>
    /// <param name="baseWidth">Channels of the first level (64 in the paper).</param>
    /// <param name="depth">Number of poolings (4 in the paper).</param>
    /// <param name="padded">3x3 convolutions padded by 1, so the output size equals the input size.</param>
    /// <param name="batchNorm">BatchNorm after each 3x3 convolution (the convolutions then have no bias).</param>
    /// <param name="upsampling">The decoder's upsampling.</param>
    public UNet(int inChannels = 1, int classes = 2, int baseWidth = 64, int depth = 4, bool padded = false, bool batchNorm = false,
        UNetUpsampling upsampling = UNetUpsampling.TransposedConvolution)
    {
        if (inChannels <= 0 || classes <= 0 || baseWidth <= 0 || depth <= 0)
            throw new ArgumentException($"UNet: inChannels {inChannels}, classes {classes}, baseWidth {baseWidth} and depth {depth} must be positive.");
        if (upsampling == UNetUpsampling.MaxUnpool && !padded)
            throw new ArgumentException("UNet: max-unpooling needs padded convolutions, so that each decoder level matches its encoder's pooling indices.");
        _depth = depth;
        _upsampling = upsampling;
        int channels = baseWidth;
        Register("inc", DoubleConv(inChannels, channels, padded, batchNorm));
        for (int level = 1; level <= depth; level++)
        {
            Register($"down{level}", DoubleConv(channels, channels * 2, padded, batchNorm));
            channels *= 2;
        }
        for (int level = depth; level >= 1; level--)
        {
            Module up = upsampling == UNetUpsampling.TransposedConvolution
                ? new ConvTranspose2d(channels, channels / 2, 2, stride: 2)
                : new Conv2d(channels, channels / 2, 1);
            Register($"up{level}", up);
            Register($"dec{level}", DoubleConv(channels, channels / 2, padded, batchNorm));
            channels /= 2;
        }
        Register("outc", new Conv2d(channels, classes, 1));
    }

    private static Sequential DoubleConv(int inChannels, int outChannels, bool padded, bool batchNorm)
    {
        int pad = padded ? 1 : 0;
        return batchNorm
            ? new Sequential(new Conv2d(inChannels, outChannels, 3, padding: pad, bias: false), new BatchNorm2d(outChannels), ReLU.Create(),
                new Conv2d(outChannels, outChannels, 3, padding: pad, bias: false), new BatchNorm2d(outChannels), ReLU.Create())
            : new Sequential(new Conv2d(inChannels, outChannels, 3, padding: pad), ReLU.Create(),
                new Conv2d(outChannels, outChannels, 3, padding: pad), ReLU.Create());
    }

    /// <inheritdoc/>
    protected override Node Forward(Node x)
    {
        var skips = new List<Node>();
        var indices = new List<Node>();
        var h = Call("inc", x);
        for (int level = 1; level <= _depth; level++)
        {
            skips.Add(h);
            var (pooled, index) = new MaxPool2d(2).WithIndices(h, $"pool{level}");
            indices.Add(index);
            h = Call($"down{level}", pooled);
        }
        for (int level = _depth; level >= 1; level--)
        {
            var skip = skips[level - 1];
            Node up = _upsampling switch
            {
                UNetUpsampling.TransposedConvolution => Call($"up{level}", h),
                UNetUpsampling.Bilinear => Call($"up{level}", new Upsample(scaleFactor: 2, mode: InterpolationMode.Bilinear, alignCorners: true).Call(h, $"resize{level}")),
                UNetUpsampling.Nearest => Call($"up{level}", new Upsample(scaleFactor: 2).Call(h, $"resize{level}")),
                UNetUpsampling.BedOfNails => Call($"up{level}", new BedOfNails(2).Call(h, $"nails{level}")),
                _ => new MaxUnpool2d(2).Call(Call($"up{level}", h), indices[level - 1], (skip.Shape[2], skip.Shape[3]), $"unpool{level}"),
            };
            var cropped = skip.Shape[2] == up.Shape[2] && skip.Shape[3] == up.Shape[3] ? skip : skip.CenterCrop(up.Shape[2], up.Shape[3]);
            h = Call($"dec{level}", NodeFunctions.Concat(cropped, up));
        }
        return Call("outc", h);
    }
}
