using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;
using Engine.Ops.Upsampling;

namespace Engine.Models;

/// <summary>
/// PSPNet's pyramid pooling module (Zhao et al. 2017): for each bin size <c>b</c> (1, 2, 3 and 6),
/// adaptive average pooling of the features to <c>b x b</c>, a 1x1 convolution to
/// <c>C / bins</c> channels with batch norm and ReLU, and bilinear upsampling back to
/// <c>H x W</c> (corners aligned, as the authors' code); the features and the branches
/// concatenated: <c>[N, C, H, W]</c> to <c>[N, 2C, H, W]</c> for four bins. Named as the authors'
/// PyTorch code (<c>features.{i}.1.weight</c>: index 0 is the pooling, 2 the batch norm).
/// </summary>
public sealed class PyramidPooling : Module
{
    private readonly int[] _bins;

    /// <summary>The module on <paramref name="inChannels"/> channels with the given bin sizes (default 1, 2, 3, 6).</summary>
    /// <exception cref="ArgumentException">No bins, a bin below 1, or channels that the bins do not divide, named.</exception>
    public PyramidPooling(int inChannels, IReadOnlyList<int>? bins = null)
    {
        _bins = [.. bins ?? [1, 2, 3, 6]];
        if (_bins.Length == 0 || _bins.Any(b => b < 1))
            throw new ArgumentException($"PyramidPooling: bin sizes must be at least 1, got [{string.Join(", ", _bins)}].", nameof(bins));
        if (inChannels <= 0 || inChannels % _bins.Length != 0)
            throw new ArgumentException($"PyramidPooling: {inChannels} input channels must be positive and divide among the {_bins.Length} bins.", nameof(inChannels));
        InChannels = inChannels;
        int reduced = inChannels / _bins.Length;
        Register("features", new Sequential([.. _bins.Select(b => (Module)new Sequential(
            new AdaptiveAvgPool2d(b), new Conv2d(inChannels, reduced, 1, bias: false), new BatchNorm2d(reduced), ReLU.Create()))]));
    }

    /// <summary>C of the input.</summary>
    public int InChannels { get; }

    /// <summary>The bin sizes, in concatenation order.</summary>
    public IReadOnlyList<int> Bins => _bins;

    /// <summary>C of the output: the input's and each branch's, <c>2C</c>.</summary>
    public int OutChannels => InChannels + _bins.Length * (InChannels / _bins.Length);

    /// <inheritdoc/>
    protected override Node Forward(Node x)
    {
        var features = Child("features");
        var parts = new Node[_bins.Length + 1];
        parts[0] = x;
        var back = new Upsample(size: (x.Shape[2], x.Shape[3]), mode: InterpolationMode.Bilinear, alignCorners: true);
        for (int i = 0; i < _bins.Length; i++)
        {
            string index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            parts[i + 1] = back.Call(features.Child(index).Call(x, $"features.{index}"), $"upsample.{index}");
        }
        return NodeFunctions.Concat(parts);
    }
}
