using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Tests.Docs.Guide;

#region guide
/// <summary>
/// A stem (convolution and 2x2 max pooling), two residual blocks (the second halves the size
/// and doubles the channels), global average pooling and a linear head: <c>[N, inChannels, H, W]</c>
/// to logits <c>[N, classes]</c>.
/// </summary>
public sealed class SmallResNet : Module
{
    public SmallResNet(int inChannels, int classes, int width)
    {
        Register("conv1", new Conv2d(inChannels, width, 3, padding: 1, bias: false));
        Register("bn1", new BatchNorm2d(width));
        Register("layer1", new ResidualBlock(width, width));                  // identity shortcut
        Register("layer2", new ResidualBlock(width, 2 * width, stride: 2));   // 1x1 projection shortcut
        Register("fc", new Linear(2 * width, classes));
    }

    protected override Node Forward(Node x)                                  // [N, C, 28, 28]
    {
        var h = Call("bn1", Call("conv1", x)).Relu();                        // [N, w, 28, 28]
        h = new MaxPool2d(2).Call(h, "maxpool");                             // [N, w, 14, 14]
        h = Call("layer2", Call("layer1", h));                               // [N, 2w, 7, 7]
        var pooled = new GlobalAvgPool2d().Call(h, "avgpool");               // [N, 2w]
        return Call("fc", pooled);                                           // [N, classes]
    }
}
#endregion
