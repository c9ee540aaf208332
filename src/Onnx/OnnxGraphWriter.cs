using Engine.Graph;
using Engine.Graph.Nodes;
using Engine.Ops.Activation;
using Engine.Ops.Pooling;
using Engine.Ops.Upsampling;
using Engine.Tensors;
using Google.Protobuf;
using Onnx;

namespace Engine.Onnx;

/// <summary>
/// Writes a traced evaluation graph as an ONNX graph: one or a few ONNX operators per graph op,
/// in trace order, with PyTorch's exporter's choices where ONNX leaves one (Resize's coordinate
/// modes, Gemm with transB for Linear, MaxPool's flattened int64 indices for MaxUnpool). Shapes are
/// static but for the batch dimension, which is symbolic: reshapes keep it as -1, and sizes that
/// include it are taken from the running tensor (Shape, Slice, Concat).
/// </summary>
internal sealed class OnnxGraphWriter(GraphBuilder graph, Node input, Node output, string inputName, string outputName)
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const string Batch = "N";

    private readonly GraphProto _graph = new() { Name = "engine" };
    private readonly Dictionary<Node, string> _names = [];
    private readonly Dictionary<StateTensor, string> _initializers = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Node> _consumed = [];
    private int _constants;

    /// <summary>The graph: the input, every op's operators and initializers, and the output.</summary>
    public GraphProto Write()
    {
        _names[input] = inputName;
        foreach (var op in graph.Ops)
            _consumed.UnionWith(op.Inputs);
        _consumed.Add(output);
        _graph.Input.Add(ValueInfo(inputName, input.Shape));
        foreach (var op in graph.Ops)
            Emit(op);
        Add("Identity", [Name(output)], [outputName]);
        _graph.Output.Add(ValueInfo(outputName, output.Shape));
        return _graph;
    }

    private void Emit(GraphOp op)
    {
        string x = op.Inputs.Count > 0 ? Name(op.Inputs[0]) : "";
        string y = Name(op.Outputs[0]);
        switch (op)
        {
            case Conv2dNode conv:
            {
                var g = conv.Spec.Geometry;
                Add("Conv", [x, Initializer(conv.Weight), .. Bias(conv.Bias)], [y],
                    Ints("kernel_shape", g.KH, g.KW), Ints("strides", g.StrideH, g.StrideW), Ints("pads", g.PadH, g.PadW, g.PadH, g.PadW),
                    Ints("dilations", g.DilationH, g.DilationW), Int("group", g.Groups));
                break;
            }
            case ConvTranspose2dNode transposed:
            {
                var s = transposed.Spec;
                Add("ConvTranspose", [x, Initializer(transposed.Weight), .. Bias(transposed.Bias)], [y],
                    Ints("kernel_shape", s.Kernel.H, s.Kernel.W), Ints("strides", s.Stride.H, s.Stride.W),
                    Ints("pads", s.Padding.H, s.Padding.W, s.Padding.H, s.Padding.W), Ints("output_padding", s.OutputPadding.H, s.OutputPadding.W),
                    Ints("dilations", s.Dilation.H, s.Dilation.W), Int("group", s.Groups));
                break;
            }
            case LinearNode linear:
                Add("Gemm", [x, Initializer(linear.Weight), .. Bias(linear.Bias)], [y], Int("transB", 1));
                break;
            case BatchNorm2dNode norm:
            {
                var (weight, bias, mean, variance) = norm.State;
                Add("BatchNormalization", [x, Initializer(weight), Initializer(bias), Initializer(mean), Initializer(variance)], [y], FloatAttribute("epsilon", norm.Eps));
                break;
            }
            case ActivationNode activation:
                switch (activation.Kind)
                {
                    case ActivationKind.Relu: Add("Relu", [x], [y]); break;
                    case ActivationKind.Sigmoid: Add("Sigmoid", [x], [y]); break;
                    case ActivationKind.Tanh: Add("Tanh", [x], [y]); break;
                    case ActivationKind.LeakyRelu: Add("LeakyRelu", [x], [y], FloatAttribute("alpha", activation.Slope)); break;
                    default: throw Unsupported(op, $"activation {activation.Kind}");
                }
                break;
            case SoftmaxNode softmax:
                Add(softmax.Logarithm ? "LogSoftmax" : "Softmax", [x], [y], Int("axis", 1));
                break;
            case MaxPool2dNode pool:
            {
                var g = pool.Spec.Geometry;
                // The indices only where an unpooling reads them: ONNX's are int64, flattened over the whole tensor, as its MaxUnpool expects.
                string[] outputs = _consumed.Contains(pool.Outputs[1]) ? [y, Name(pool.Outputs[1])] : [y];
                Add("MaxPool", [x], outputs, Ints("kernel_shape", g.KH, g.KW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadH, g.PadW, g.PadH, g.PadW), Ints("dilations", g.DilationH, g.DilationW), Int("ceil_mode", CeilMode(g.H, g.KH, g.StrideH, g.PadH, g.DilationH, g.OutH) | CeilMode(g.W, g.KW, g.StrideW, g.PadW, g.DilationW, g.OutW)));
                break;
            }
            case AvgPool2dNode pool:
            {
                var g = pool.Spec.Geometry;
                if (g.DilationH != 1 || g.DilationW != 1)
                    throw Unsupported(op, "a dilated average pool (ONNX's AveragePool has dilations only from opset 19)");
                Add("AveragePool", [x], [y], Ints("kernel_shape", g.KH, g.KW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadH, g.PadW, g.PadH, g.PadW), Int("count_include_pad", g.CountIncludePad),
                    Int("ceil_mode", CeilMode(g.H, g.KH, g.StrideH, g.PadH, 1, g.OutH) | CeilMode(g.W, g.KW, g.StrideW, g.PadW, 1, g.OutW)));
                break;
            }
            case GlobalAvgPool2dNode:
            {
                string pooled = Temporary();
                Add("GlobalAveragePool", [x], [pooled]);
                Add("Flatten", [pooled], [y], Int("axis", 1)); // [N, C, 1, 1] -> [N, C], as the engine gives
                break;
            }
            case AdaptiveAvgPool2dNode pool:
                AdaptivePool(op, pool.Spec, "AveragePool", "GlobalAveragePool", x, y);
                break;
            case AdaptiveMaxPool2dNode pool:
                if (_consumed.Contains(pool.Outputs[1]))
                    throw Unsupported(op, "adaptive max pooling whose indices another op reads (ONNX's MaxPool indices are int64 over the whole tensor)");
                AdaptivePool(op, pool.Spec, "MaxPool", "GlobalMaxPool", x, y);
                break;
            case MaxUnpool2dNode unpool:
            {
                if (unpool.Inputs[1].Producer is not MaxPool2dNode pool)
                    throw Unsupported(op, "unpooling with indices that no max pool of this graph made");
                var before = pool.Inputs[0];
                if (unpool.Spec.OutputSize != (before.Shape[2], before.Shape[3]))
                    throw Unsupported(op, $"unpooling to {unpool.Spec.OutputSize}, not to the pooled tensor's size ({before.Shape[2]}, {before.Shape[3]})");
                var g = pool.Spec.Geometry;
                string size = Temporary();
                Add("Shape", [Name(before)], [size]); // the pooled tensor's shape, batch included
                Add("MaxUnpool", [x, Name(unpool.Inputs[1]), size], [y], Ints("kernel_shape", g.KH, g.KW), Ints("strides", g.StrideH, g.StrideW),
                    Ints("pads", g.PadH, g.PadW, g.PadH, g.PadW));
                break;
            }
            case InterpolateNode resize:
                Resize(resize, x, y);
                break;
            case ReshapeNode reshape:
            {
                var to = reshape.Outputs[0].Shape;
                if (to[0] != reshape.Inputs[0].Shape[0])
                    throw Unsupported(op, $"a reshape from {reshape.Inputs[0].Shape} to {to} that changes the batch dimension");
                Add("Reshape", [x, Constant([-1L, .. to.ToArray().Skip(1).Select(d => (long)d)])], [y]);
                break;
            }
            case AddNode add:
            {
                var (a, b) = add.Weights;
                string first = Scaled(x, a), second = Scaled(Name(op.Inputs[1]), b);
                Add("Add", [first, second], [y]);
                break;
            }
            case ConcatNode:
                Add("Concat", [.. op.Inputs.Select(Name)], [y], Int("axis", 1));
                break;
            case CropNode crop:
            {
                var from = op.Inputs[0].Shape;
                var to = op.Outputs[0].Shape;
                long top = crop.Top, left = crop.Left;
                Add("Slice", [x, Constant([top, left]), Constant([top + to[-2], left + to[-1]]), Constant([(long)from.Rank - 2, from.Rank - 1])], [y]);
                break;
            }
            case BedOfNailsNode nails:
            {
                // A depthwise transposed convolution whose s x s kernel is 1 at its top-left corner: each value lands there, zeros elsewhere.
                int channels = op.Inputs[0].Shape[1], s = nails.Factor;
                var kernel = new float[channels * s * s];
                for (int c = 0; c < channels; c++)
                    kernel[c * s * s] = 1f;
                string weight = Temporary();
                _graph.Initializer.Add(FloatTensor(weight, kernel, [channels, 1, s, s]));
                Add("ConvTranspose", [x, weight], [y], Ints("kernel_shape", s, s), Ints("strides", s, s), Int("group", channels));
                break;
            }
            case DropoutNode:
                Add("Identity", [x], [y]); // evaluation: dropout passes its input
                break;
            default:
                throw Unsupported(op, op.GetType().Name);
        }
    }

    // Adaptive pooling as ONNX can say it: to 1 x 1 as the global pool, and where each output size
    // divides its input size as the plain pool with kernel = stride = input / output (PyTorch's
    // windows are then exactly those). Other sizes have overlapping, uneven windows that no ONNX
    // operator describes: refused by name.
    private void AdaptivePool(GraphOp op, AdaptivePool2dSpec spec, string pool, string global, string x, string y)
    {
        var g = spec.Geometry;
        int h = g.H.Divisor, w = g.W.Divisor, outH = g.OutH.Divisor, outW = g.OutW.Divisor;
        if (outH == 1 && outW == 1)
        {
            Add(global, [x], [y]);
            return;
        }
        if (!spec.UniformWindows)
            throw new NotSupportedException($"ONNX export: {op.Name} pools {h}x{w} to {outH}x{outW}, whose adaptive windows are uneven (an output size that does not divide its input size), which no ONNX pooling operator expresses; use an output size that divides the input, or 1x1.");
        int kh = h / outH, kw = w / outW;
        Add(pool, [x], [y], Ints("kernel_shape", kh, kw), Ints("strides", kh, kw));
    }

    // interpolate as PyTorch's exporter writes it: nearest is asymmetric with floor; bilinear is
    // pytorch_half_pixel, or align_corners. A scale factor goes as scales (PyTorch samples at
    // 1 / scale), a size as sizes built from the running batch.
    private void Resize(InterpolateNode resize, string x, string y)
    {
        var spec = resize.Spec;
        var attributes = spec.Mode == InterpolationMode.Nearest
            ? new[] { Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"), Text("nearest_mode", "floor") }
            : [Text("mode", "linear"), Text("coordinate_transformation_mode", spec.AlignCorners ? "align_corners" : "pytorch_half_pixel")];
        if (spec.ScaleFactor is { } f)
        {
            Add("Resize", [x, "", FloatConstant([1f, 1f, (float)f.H, (float)f.W])], [y], attributes);
            return;
        }
        string shape = Temporary(), leading = Temporary(), sizes = Temporary();
        Add("Shape", [x], [shape]);
        Add("Slice", [shape, Constant([0L]), Constant([2L])], [leading]);
        Add("Concat", [leading, Constant([(long)spec.Geometry.OutH, spec.Geometry.OutW])], [sizes], Int("axis", 0));
        Add("Resize", [x, "", "", sizes], [y], attributes);
    }

    // PyTorch's ceil_mode, recovered from one axis's output size: whether it exceeds the floor formula's.
    // A pool is in ceil mode when either axis shows it (an axis whose division is exact looks the same either way).
    private static int CeilMode(int size, int kernel, int stride, int pad, int dilation, int output) =>
        output > (size + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1 ? 1 : 0;

    private string Scaled(string value, float factor)
    {
        if (factor == 1f)
            return value;
        string scaled = Temporary();
        Add("Mul", [value, FloatConstant([factor], scalar: true)], [scaled]);
        return scaled;
    }

    private IEnumerable<string> Bias(Parameter? bias) => bias is null ? [] : [Initializer(bias)];

    private string Name(Node node)
    {
        if (!_names.TryGetValue(node, out var name))
        {
            name = $"t{node.Id}";
            _names[node] = name;
        }
        return name;
    }

    private string Temporary() => $"k{_constants++}";

    private void Add(string type, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = type, Name = $"{type}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
    }

    /// <summary>A parameter or buffer as a float initializer (once, however many ops read it).</summary>
    private string Initializer(StateTensor state)
    {
        if (_initializers.TryGetValue(state, out var name))
            return name;
        name = $"w{_initializers.Count}";
        _initializers[state] = name;
        _graph.Initializer.Add(FloatTensor(name, state.Value.ToArray(), state.Shape.ToArray().Select(d => (long)d)));
        return name;
    }

    private string Constant(long[] values)
    {
        string name = Temporary();
        var tensor = new TensorProto { Name = name, DataType = Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private string FloatConstant(float[] values, bool scalar = false)
    {
        string name = Temporary();
        _graph.Initializer.Add(FloatTensor(name, values, scalar ? [] : [values.Length]));
        return name;
    }

    private static TensorProto FloatTensor(string name, float[] values, IEnumerable<long> dims)
    {
        var tensor = new TensorProto { Name = name, DataType = Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length); // little-endian, as ONNX's raw_data
        tensor.RawData = ByteString.CopyFrom(bytes);
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, Shape shape)
    {
        var dims = new TensorShapeProto();
        dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = Batch });
        foreach (int d in shape.ToArray().Skip(1))
            dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Float, Shape = dims } } };
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto FloatAttribute(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static NotSupportedException Unsupported(GraphOp op, string what) =>
        new($"ONNX export: {op.Name} is {what}, which the exporter does not write.");
}
