using Engine.Graph;
using Engine.Modules;
using Engine.Modules.Layers;

namespace Engine.Models;

/// <summary>
/// torchvision's ResNet: 7x7 stride-2 stem, 3x3 max pool, four stages of BasicBlocks (18, 34) or
/// Bottlenecks (50, stride on the 3x3), global average pooling and a linear head, with
/// torchvision's parameter names (<c>conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>, <c>fc.bias</c>),
/// so a torchvision state dict saved as safetensors loads unchanged. <c>width</c> is the stem's
/// channels (64 in torchvision); the stages have 1, 2, 4 and 8 times as many. Initialised as
/// torchvision does: every convolution Kaiming-normal with fan-out and ReLU's gain, batch norm
/// weight 1 and bias 0, the linear head PyTorch's default; with <c>zeroInitResidual</c> the last
/// batch norm of each block starts at 0, so each residual branch starts as the identity (Goyal et al. 2017).
/// </summary>
public sealed class ResNet : Module
{
    private readonly bool _smallStem;
    private readonly bool _classifier;

    private ResNet(bool bottleneck, int[] blocks, int classes, int inChannels, bool smallStem, int width, bool zeroInitResidual,
        bool[]? replaceStrideWithDilation = null, bool classifier = true)
    {
        if (classes <= 0 || inChannels <= 0 || width <= 0)
            throw new ArgumentException($"ResNet: classes ({classes}), input channels ({inChannels}) and width ({width}) must be positive.");
        var dilate = replaceStrideWithDilation ?? [false, false, false];
        if (dilate.Length != 3)
            throw new ArgumentException($"ResNet: replace_stride_with_dilation needs 3 entries (layer2, layer3, layer4), got {dilate.Length}.");
        if (!bottleneck && dilate.Any(d => d))
            throw new ArgumentException("ResNet: dilation > 1 is supported by the bottleneck ResNets (50) only, as in torchvision.");
        _smallStem = smallStem;
        _classifier = classifier;
        Register("conv1", smallStem ? new Conv2d(inChannels, width, 3, padding: 1, bias: false) : new Conv2d(inChannels, width, 7, stride: 2, padding: 3, bias: false));
        Register("bn1", new BatchNorm2d(width));
        int expansion = bottleneck ? 4 : 1;
        int inPlanes = width;
        int[] planes = [width, 2 * width, 4 * width, 8 * width];
        int dilation = 1;
        for (int stage = 0; stage < 4; stage++)
        {
            // torchvision's _make_layer: a dilated stage keeps stride 1 and multiplies the dilation by
            // the stride it gave up; its first block still uses the dilation before that.
            int stride = stage > 0 ? 2 : 1, previousDilation = dilation;
            if (stage > 0 && dilate[stage - 1])
            {
                dilation *= stride;
                stride = 1;
            }
            var layer = new List<Module>();
            for (int b = 0; b < blocks[stage]; b++)
            {
                int blockStride = b == 0 ? stride : 1, blockDilation = b == 0 ? previousDilation : dilation;
                layer.Add(bottleneck ? new Bottleneck(inPlanes, planes[stage], blockStride, blockDilation) : new BasicBlock(inPlanes, planes[stage], blockStride));
                inPlanes = planes[stage] * expansion;
            }
            Register($"layer{stage + 1}", new Sequential([.. layer]));
        }
        if (classifier)
            Register("fc", new Linear(8 * width * expansion, classes));

        // torchvision's ResNet.__init__: kaiming_normal_(mode="fan_out", nonlinearity="relu") for every conv.
        foreach (var conv in Descendants().OfType<Conv2d>())
            conv.Weight.Init = new Initializer.KaimingNormal(conv.Weight.Shape[0] * conv.Weight.Shape[2] * conv.Weight.Shape[3]);
        if (zeroInitResidual)
            WithZeroInitResidual();
    }

    /// <summary>
    /// torchvision's <c>zero_init_residual</c>: the last batch norm of every block (<c>bn2</c>, or
    /// <c>bn3</c> in a bottleneck) starts with weight 0, so each block starts as its shortcut.
    /// Call before <c>Initialize</c>.
    /// </summary>
    public ResNet WithZeroInitResidual()
    {
        foreach (var block in Descendants().Where(m => m is BasicBlock or Bottleneck))
            ((BatchNorm2d)block.Child(block is Bottleneck ? "bn3" : "bn2")).Weight.Init = new Initializer.Constant(0f);
        return this;
    }

    /// <summary>
    /// Returns every convolution to PyTorch's layer default (uniform in <c>±1/sqrt(fan_in)</c>) in
    /// place of torchvision's initialisation: how this engine initialised ResNets before it followed
    /// torchvision, kept so those runs can be reproduced. Call before <c>Initialize</c>.
    /// </summary>
    public ResNet WithLayerDefaultInit()
    {
        foreach (var conv in Descendants().OfType<Conv2d>())
            conv.Weight.Init = new Initializer.FanInUniform(conv.Weight.Shape[1] * conv.Weight.Shape[2] * conv.Weight.Shape[3]);
        return this;
    }

    /// <summary>ResNet-18 (11,689,512 parameters with 1000 classes).</summary>
    public static ResNet ResNet18(int classes = 1000, int inChannels = 3, bool smallStem = false, int width = 64, bool zeroInitResidual = false) =>
        new(false, [2, 2, 2, 2], classes, inChannels, smallStem, width, zeroInitResidual);

    /// <summary>ResNet-34 (21,797,672 parameters with 1000 classes).</summary>
    public static ResNet ResNet34(int classes = 1000, int inChannels = 3, bool smallStem = false, int width = 64, bool zeroInitResidual = false) =>
        new(false, [3, 4, 6, 3], classes, inChannels, smallStem, width, zeroInitResidual);

    /// <summary>
    /// ResNet-50 without its pooling and classifier, as a dense-prediction backbone (DeepLab's):
    /// <paramref name="replaceStrideWithDilation"/> (layer2, layer3, layer4) trades each stage's stride
    /// for dilation, as torchvision's argument of that name; [false, true, true] gives output stride 8,
    /// [false, false, true] 16. <see cref="Features"/> gives layer3's and layer4's outputs.
    /// </summary>
    public static ResNet ResNet50Backbone(int inChannels = 3, int width = 64, bool[]? replaceStrideWithDilation = null) =>
        new(true, [3, 4, 6, 3], 1, inChannels, false, width, false, replaceStrideWithDilation, classifier: false);

    /// <summary>
    /// The <c>replace_stride_with_dilation</c> flags (layer2, layer3, layer4) that give a ResNet-50
    /// backbone with its stem's stride 4 the output stride <paramref name="outputStride"/>: 4, 8 or 16
    /// (32, the plain network, needs none).
    /// </summary>
    public static bool[] DilatedStages(int outputStride) => outputStride switch
    {
        4 => [true, true, true],
        8 => [false, true, true],
        16 => [false, false, true],
        32 => [false, false, false],
        _ => throw new ArgumentException($"ResNet: a dilated backbone's output stride is 4, 8, 16 or 32, got {outputStride}.", nameof(outputStride)),
    };

    /// <summary>ResNet-50 (25,557,032 parameters with 1000 classes).</summary>
    public static ResNet ResNet50(int classes = 1000, int inChannels = 3, bool smallStem = false, int width = 64, bool zeroInitResidual = false) =>
        new(true, [3, 4, 6, 3], classes, inChannels, smallStem, width, zeroInitResidual);

    /// <summary>By name: resnet18, resnet34 or resnet50; <paramref name="width"/> is the stem's channels.</summary>
    public static ResNet Create(string name, int classes = 1000, int inChannels = 3, bool smallStem = false, int width = 64, bool zeroInitResidual = false) => name.ToLowerInvariant() switch
    {
        "resnet18" => ResNet18(classes, inChannels, smallStem, width, zeroInitResidual),
        "resnet34" => ResNet34(classes, inChannels, smallStem, width, zeroInitResidual),
        "resnet50" => ResNet50(classes, inChannels, smallStem, width, zeroInitResidual),
        _ => throw new ArgumentException($"Unknown ResNet '{name}'; expected resnet18, resnet34 or resnet50.", nameof(name)),
    };

    /// <summary>The outputs of layer3 and layer4 (<c>[N, 16 width, ...]</c> and <c>[N, 32 width, ...]</c> for ResNet-50): what dense-prediction heads read.</summary>
    public (Node Layer3, Node Layer4) Features(Node x)
    {
        var h = Call("bn1", Call("conv1", x)).Relu();
        if (!_smallStem)
            h = new MaxPool2d(3, 2, 1).Call(h, "maxpool");
        h = Call("layer2", Call("layer1", h));
        var layer3 = Call("layer3", h);
        return (layer3, Call("layer4", layer3));
    }

    /// <inheritdoc/>
    protected override Node Forward(Node x)
    {
        var features = Features(x).Layer4;
        return _classifier ? Call("fc", new GlobalAvgPool2d().Call(features, "avgpool")) : features;
    }

    /// <summary>Two 3x3 convolutions with a residual connection (ResNet-18/34).</summary>
    private sealed class BasicBlock : Module
    {
        private readonly bool _downsample;

        public BasicBlock(int inPlanes, int planes, int stride)
        {
            Register("conv1", new Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false));
            Register("bn1", new BatchNorm2d(planes));
            Register("conv2", new Conv2d(planes, planes, 3, padding: 1, bias: false));
            Register("bn2", new BatchNorm2d(planes));
            _downsample = stride != 1 || inPlanes != planes;
            if (_downsample)
                Register("downsample", new Sequential(new Conv2d(inPlanes, planes, 1, stride: stride, bias: false), new BatchNorm2d(planes)));
        }

        protected override Node Forward(Node x)
        {
            var h = Call("bn1", Call("conv1", x)).Relu();
            h = Call("bn2", Call("conv2", h));
            var identity = _downsample ? Call("downsample", x) : x;
            return h.Add(identity).Relu();
        }
    }

    /// <summary>1x1, 3x3 (strided), 1x1 convolutions with a residual connection (ResNet-50).</summary>
    private sealed class Bottleneck : Module
    {
        private readonly bool _downsample;

        public Bottleneck(int inPlanes, int planes, int stride, int dilation = 1)
        {
            Register("conv1", new Conv2d(inPlanes, planes, 1, bias: false));
            Register("bn1", new BatchNorm2d(planes));
            Register("conv2", new Conv2d(planes, planes, 3, stride: stride, padding: dilation, dilation: dilation, bias: false));
            Register("bn2", new BatchNorm2d(planes));
            Register("conv3", new Conv2d(planes, planes * 4, 1, bias: false));
            Register("bn3", new BatchNorm2d(planes * 4));
            _downsample = stride != 1 || inPlanes != planes * 4;
            if (_downsample)
                Register("downsample", new Sequential(new Conv2d(inPlanes, planes * 4, 1, stride: stride, bias: false), new BatchNorm2d(planes * 4)));
        }

        protected override Node Forward(Node x)
        {
            var h = Call("bn1", Call("conv1", x)).Relu();
            h = Call("bn2", Call("conv2", h)).Relu();
            h = Call("bn3", Call("conv3", h));
            var identity = _downsample ? Call("downsample", x) : x;
            return h.Add(identity).Relu();
        }
    }
}
