using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Convolution;

namespace Engine.Models;

/// <summary>
/// DeconvNet (Noh, Hong and Han 2015) as the authors' released model
/// (<c>DeconvNet_inference_deploy.prototxt</c>) builds it. The encoder is VGG-16's thirteen 3x3
/// convolutions (blocks of 2, 2, 3, 3, 3 at 64, 128, 256, 512, 512 channels), each with a bias,
/// batch norm (scale and shift) and ReLU, each block ending in 2x2 max pooling that keeps its switches.
/// fc6 is a valid convolution whose kernel is the whole bottleneck (7x7 on a 224 input's pool5),
/// 512 -> 4096, to 1x1; fc7 is 1x1, 4096 -> 4096; each has batch norm and ReLU. The decoder mirrors
/// all of it: <c>fc6_deconv</c>, a 7x7 transposed convolution 4096 -> 512 back to the bottleneck's
/// size, then per block a max-unpooling with that block's switches and 3x3 transposed convolutions
/// (padding 1) with biases, batch norm and ReLU: 512, 512, 512 | 512, 512, 256 | 256, 256, 128 |
/// 128, 64 | 64, 64; the last block's last layer narrows to the next block's width. A 1x1 convolution
/// scores the classes. With 21 classes: 251,805,653 parameters: 14,714,688 encoder convolutions,
/// 102,764,544 fc6, 16,781,312 fc7, 102,760,960 fc6_deconv, 14,749,376 decoder transposed
/// convolutions, 33,408 batch-norm scales and shifts, 1,365 score (no published count was found to compare with).
/// Not followed: the paper's VGG-16 initialisation from ImageNet and the decoder's Gaussian (std 0.01)
/// filler; the layers' own defaults initialise here. The encoder's output sizes are remembered, so
/// odd sides unpool back to their size.
/// Modules: <c>encoder1</c>..<c>encoderD</c>, <c>fc6</c>, <c>fc7</c>, <c>fc6_deconv</c> (each a
/// Sequential of convolution, batch norm, ReLU), <c>decoderD</c>..<c>decoder1</c> and <c>score</c>.
/// <c>width</c>, <c>depth</c> and <c>fcChannels</c> give light configurations; <c>imageSize</c> sets
/// fc6's kernel to its bottleneck, <c>imageSize / 2^depth</c> (rounded down at each pooling).
/// </summary>
public sealed class DeconvNet : Module
{
    private readonly int _depth;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="classes">Output classes (21 for PASCAL VOC).</param>
    /// <param name="width">The first block's channels (64); the blocks have 1, 2, 4, 8 and 8 times it.</param>
    /// <param name="depth">Blocks (and poolings), 1 to 5 (5 in the paper).</param>
    /// <param name="fcChannels">fc6's and fc7's channels (4096).</param>
    /// <param name="imageSize">The image size fc6's kernel covers at the bottleneck (224 x 224: 7 x 7); larger inputs run fully convolutionally.</param>
    public DeconvNet(int inChannels = 3, int classes = 21, int width = 64, int depth = 5, int fcChannels = 4096, Pair? imageSize = null)
    {
        if (inChannels <= 0 || classes <= 0 || width <= 0 || fcChannels <= 0)
            throw new ArgumentException($"DeconvNet: inChannels {inChannels}, classes {classes}, width {width} and fcChannels {fcChannels} must be positive.");
        if (depth is < 1 or > 5)
            throw new ArgumentException($"DeconvNet: depth must be between 1 and 5 (VGG-16's blocks), got {depth}.", nameof(depth));
        var image = imageSize ?? 224;
        Pair bottleneck = (image.H >> depth, image.W >> depth);
        if (bottleneck.H < 1 || bottleneck.W < 1)
            throw new ArgumentException($"DeconvNet: a {image.H} x {image.W} image has no bottleneck after {depth} poolings: its sides must be at least {1 << depth}.", nameof(imageSize));
        _depth = depth;
        var (encoder, channels) = VggBlocks.Encoder(inChannels, width, depth, (inC, outC) => Normalised(new Conv2d(inC, outC, 3, padding: 1), outC));
        for (int block = 1; block <= depth; block++)
            Register($"encoder{block}", encoder[block - 1]);
        Register("fc6", new Sequential(Normalised(new Conv2d(channels, fcChannels, bottleneck), fcChannels)));
        Register("fc7", new Sequential(Normalised(new Conv2d(fcChannels, fcChannels, 1), fcChannels)));
        Register("fc6_deconv", new Sequential(Normalised(new ConvTranspose2d(fcChannels, channels, bottleneck), channels)));
        for (int block = depth; block >= 1; block--)
        {
            int blockWidth = VggBlocks.Width(width, block), next = block > 1 ? VggBlocks.Width(width, block - 1) : blockWidth;
            int convs = VggBlocks.Convolutions[block - 1];
            var layers = new List<Module>();
            for (int i = 1; i <= convs; i++)
                layers.AddRange(Normalised(new ConvTranspose2d(blockWidth, i == convs ? next : blockWidth, 3, padding: 1), i == convs ? next : blockWidth));
            Register($"decoder{block}", new Sequential([.. layers]));
        }
        Register("score", new Conv2d(width, classes, 1));
        Bottleneck = bottleneck;
    }

    /// <summary>fc6's kernel: the bottleneck of the image size the network was built for.</summary>
    public Pair Bottleneck { get; }

    private static Module[] Normalised(Module layer, int channels) => [layer, new BatchNorm2d(channels), ReLU.Create()];

    /// <summary>The class scores at the input's size, <c>[N, classes, H, W]</c>.</summary>
    protected override Node Forward(Node x)
    {
        var (h, switches) = PoolingSwitches.Encode(x, _depth, (block, input) => Call($"encoder{block}", input));
        if (h.Shape[2] < Bottleneck.H || h.Shape[3] < Bottleneck.W)
            throw new ArgumentException($"DeconvNet: a {x.Shape[2]} x {x.Shape[3]} input pools to {h.Shape[2]} x {h.Shape[3]}, smaller than fc6's {Bottleneck.H} x {Bottleneck.W} kernel: give images of at least the size the network was built for.");
        // [N, C, h, w] -> fc6 [N, fc, h - kH + 1, w - kW + 1] (1 x 1 at the built size) -> fc7 -> fc6_deconv [N, C, h, w].
        h = Call("fc6_deconv", Call("fc7", Call("fc6", h)));
        return Call("score", switches.Decode(h, (block, input) => Call($"decoder{block}", input)));
    }
}
