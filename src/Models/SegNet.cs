using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// SegNet (Badrinarayanan, Kendall and Cipolla 2017): an encoder of VGG-16's thirteen 3x3
/// convolutions, each with batch norm and ReLU, in five blocks (2, 2, 3, 3, 3 convolutions of 64,
/// 128, 256, 512, 512 channels) each ending in 2x2 max pooling that keeps its arg-max indices; a
/// mirrored decoder that upsamples by max-unpooling with those indices (no skip features are
/// concatenated: only the indices cross) followed by the block's convolutions, the last of each
/// block narrowing to the next block's width; and a final 3x3 convolution to the classes. The
/// encoder's output sizes are remembered, so odd sides unpool back to their size.
/// Modules are <c>encoder1</c>..<c>encoder5</c> and <c>decoder5</c>..<c>decoder1</c>
/// (Sequentials of convolution, batch norm, ReLU) and <c>classifier</c>. <c>width</c> and
/// <c>depth</c> (blocks, 5 in the paper) give light configurations.
/// </summary>
public sealed class SegNet : Module
{
    private readonly int _depth;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="classes">Output classes.</param>
    /// <param name="width">The first block's channels (64); the blocks have 1, 2, 4, 8 and 8 times it.</param>
    /// <param name="depth">Blocks (and poolings), 1 to 5 (5 in the paper).</param>
    public SegNet(int inChannels = 3, int classes = 12, int width = 64, int depth = 5)
    {
        if (inChannels <= 0 || classes <= 0 || width <= 0)
            throw new ArgumentException($"SegNet: inChannels {inChannels}, classes {classes} and width {width} must be positive.");
        if (depth is < 1 or > 5)
            throw new ArgumentException($"SegNet: depth must be between 1 and 5 (VGG-16's blocks), got {depth}.", nameof(depth));
        _depth = depth;
        var (encoder, _) = VggBlocks.Encoder(inChannels, width, depth, ConvBnRelu);
        for (int block = 1; block <= depth; block++)
            Register($"encoder{block}", encoder[block - 1]);
        for (int block = depth; block >= 1; block--)
        {
            int blockWidth = VggBlocks.Width(width, block), next = block > 1 ? VggBlocks.Width(width, block - 1) : blockWidth;
            int convs = VggBlocks.Convolutions[block - 1] - (block == 1 ? 1 : 0); // decoder1's last convolution is the classifier
            var layers = new List<Module>();
            for (int i = 1; i <= convs; i++)
                layers.AddRange(ConvBnRelu(blockWidth, i == convs ? next : blockWidth));
            Register($"decoder{block}", new Sequential([.. layers]));
        }
        Register("classifier", new Conv2d(width, classes, 3, padding: 1));
    }

    private static Module[] ConvBnRelu(int inChannels, int outChannels) =>
        [new Conv2d(inChannels, outChannels, 3, padding: 1, bias: false), new BatchNorm2d(outChannels), ReLU.Create()];

    /// <inheritdoc/>
    protected override Node Forward(Node x)
    {
        var (h, switches) = PoolingSwitches.Encode(x, _depth, (block, input) => Call($"encoder{block}", input));
        return Call("classifier", switches.Decode(h, (block, input) => Call($"decoder{block}", input)));
    }
}
