using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Tests.Docs.Guide;

#region guide
/// <summary>
/// conv3x3-bn-relu-conv3x3-bn, plus a shortcut, then ReLU: <c>[N, in, H, W]</c> to
/// <c>[N, out, H / stride, W / stride]</c>. The shortcut is the input itself, or a 1x1
/// convolution and batch norm where the channels or the size change.
/// </summary>
public sealed class ResidualBlock : Module
{
    private readonly bool _projects;

    public ResidualBlock(int inChannels, int outChannels, int stride = 1)
    {
        // The names given here are the state dict's: conv1.weight, bn1.running_mean, ...
        Register("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false));
        Register("bn1", new BatchNorm2d(outChannels));
        Register("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false));
        Register("bn2", new BatchNorm2d(outChannels));
        _projects = stride != 1 || inChannels != outChannels;
        if (_projects) // Sequential names its children 0, 1, ...: shortcut.0.weight, shortcut.1.bias
            Register("shortcut", new Sequential(
                new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), new BatchNorm2d(outChannels)));
    }

    protected override Node Forward(Node x)                  // x: [N, in, H, W]
    {
        var h = Call("bn1", Call("conv1", x)).Relu();         // [N, out, H/s, W/s]
        h = Call("bn2", Call("conv2", h));                    // [N, out, H/s, W/s], no ReLU before the add
        var shortcut = _projects ? Call("shortcut", x) : x;   // the same shape as h
        return h.Add(shortcut).Relu();                        // Add checks the shapes now, at build time
    }
}
#endregion
