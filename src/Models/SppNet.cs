using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// A small SPP-net classifier (He et al. 2014) that takes images of any size: three 3x3
/// convolutions (<c>width</c>, 2 <c>width</c>, 4 <c>width</c> channels), each with batch norm and
/// ReLU, the first two followed by 2x2 max pooling (28x28 to 7x7, 36x36 to 9x9 features); spatial
/// pyramid max pooling over levels {1, 2, 4} (or as given) to a fixed <c>4 width · Σ l²</c> features
/// whatever the size; a linear layer to the classes. Modules: <c>features</c> (a Sequential),
/// <c>spp</c>, <c>classifier</c>. Any input of at least 4x4 (a pixel of features after both
/// poolings) trains and predicts with the same weights.
/// </summary>
public sealed class SppNet : Module
{
    /// <summary>Creates the network.</summary>
    /// <param name="classes">Output classes.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">The first convolution's channels (the others 2x and 4x).</param>
    /// <param name="levels">The pyramid's levels (default 1, 2, 4).</param>
    /// <exception cref="ArgumentException">A count below 1 or a level below 1, named.</exception>
    public SppNet(int classes = 10, int inChannels = 1, int width = 16, IReadOnlyList<int>? levels = null)
    {
        if (classes <= 0 || inChannels <= 0 || width <= 0)
            throw new ArgumentException($"SppNet: classes {classes}, inChannels {inChannels} and width {width} must be positive.");
        var spp = new SpatialPyramidPooling(levels);
        Register("features", new Sequential(
            new Conv2d(inChannels, width, 3, padding: 1, bias: false), new BatchNorm2d(width), ReLU.Create(), new MaxPool2d(2),
            new Conv2d(width, 2 * width, 3, padding: 1, bias: false), new BatchNorm2d(2 * width), ReLU.Create(), new MaxPool2d(2),
            new Conv2d(2 * width, 4 * width, 3, padding: 1, bias: false), new BatchNorm2d(4 * width), ReLU.Create()));
        Register("spp", spp);
        Register("classifier", new Linear(spp.OutputFeatures(4 * width), classes));
        Levels = spp.Levels;
    }

    /// <summary>The pyramid's levels.</summary>
    public IReadOnlyList<int> Levels { get; }

    /// <inheritdoc/>
    protected override Node Forward(Node x) => Call("classifier", Call("spp", Call("features", x)));
}
