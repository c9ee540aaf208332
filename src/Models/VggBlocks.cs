using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// VGG-16's five convolution blocks as the unpooling segmenters (SegNet, DeconvNet) build their
/// encoders: 2, 2, 3, 3, 3 units at 1, 2, 4, 8 and 8 times the first block's width.
/// </summary>
internal static class VggBlocks
{
    /// <summary>Units (convolution, batch norm, ReLU) per block.</summary>
    public static readonly int[] Convolutions = [2, 2, 3, 3, 3];

    /// <summary>Block <paramref name="block"/>'s channels (1-based) for a first block of <paramref name="width"/>.</summary>
    public static int Width(int width, int block) => width << Math.Min(block - 1, 3);

    /// <summary>
    /// Blocks 1 to <paramref name="depth"/>, each a Sequential of <paramref name="unit"/>(in, out)
    /// layers, the first taking <paramref name="inChannels"/>; the last block's channels come back.
    /// </summary>
    public static (List<Sequential> Blocks, int Channels) Encoder(int inChannels, int width, int depth, Func<int, int, Module[]> unit)
    {
        var blocks = new List<Sequential>();
        int channels = inChannels;
        for (int block = 1; block <= depth; block++)
        {
            int outChannels = Width(width, block);
            var layers = new List<Module>();
            for (int i = 0; i < Convolutions[block - 1]; i++, channels = outChannels)
                layers.AddRange(unit(channels, outChannels));
            blocks.Add(new Sequential([.. layers]));
        }
        return (blocks, channels);
    }
}
