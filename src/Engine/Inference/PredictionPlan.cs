using Engine.Devices;
using Engine.Graph;
using Engine.Modules;
using Engine.Ops.Activation;
using Engine.Ops.Metrics;
using Engine.Tensors;

namespace Engine.Inference;

/// <summary>
/// The model compiled in evaluation mode for one batch size and image shape, with what a run needs
/// beside it: the probabilities and classes buffers, and host arrays to stage inputs and read
/// outputs, all made once so a request allocates nothing on the device.
/// </summary>
internal sealed class PredictionPlan : IDisposable
{
    private readonly CompiledGraph _graph;
    private readonly Node _x;
    private readonly Node _logits;
    private Tensor? _probabilities;
    private IntTensor? _classes;

    public PredictionPlan(Module model, ComputeDevice device, Shape inputShape)
    {
        var g = new GraphBuilder(device, training: false);
        _x = g.Input("x", inputShape);
        _logits = model.Call(_x);
        if (_logits.Shape.Rank < 2 || _logits.Shape[0] != inputShape[0])
            throw new ArgumentException($"The predictor needs a model whose output is [N, C] or [N, C, H, W] for input {inputShape}; this one gives {_logits.Shape}.");
        _graph = g.CompileInference(_logits);
        Input = new float[inputShape.Numel];
        OutputShape = _logits.Shape;
        Logits = new float[OutputShape.Numel];
    }

    /// <summary>The batch size it runs.</summary>
    public int BatchSize => _x.Shape[0];

    /// <summary>The model's output shape for the whole batch.</summary>
    public Shape OutputShape { get; }

    /// <summary>Positions a class is predicted at per image: 1 for <c>[N, C]</c>, <c>H * W</c> for <c>[N, C, H, W]</c>.</summary>
    public int Positions => OutputShape.Rank == 4 ? OutputShape[2] * OutputShape[3] : (int)(OutputShape.Numel / OutputShape[0] / OutputShape[1]);

    /// <summary>The staged input, <c>[N, C, H, W]</c>: filled by the caller, rows past the real images zero.</summary>
    public float[] Input { get; }

    /// <summary>The last run's logits (or probabilities, after <see cref="ReadProbabilities"/>).</summary>
    public float[] Logits { get; }

    /// <summary>The last run's classes per position (after <see cref="ReadClasses"/>).</summary>
    public int[]? Classes { get; private set; }

    /// <summary>Uploads <see cref="Input"/> and runs the model.</summary>
    public void Run()
    {
        _graph.Value(_x).CopyFrom(Input);
        _graph.Forward();
    }

    /// <summary>Copies the logits of the last run into <see cref="Logits"/>.</summary>
    public float[] ReadLogits()
    {
        _graph.Value(_logits).CopyTo(Logits);
        return Logits;
    }

    /// <summary>Softmax over dim 1 on the device, copied into a new array.</summary>
    public float[] ReadProbabilities()
    {
        var logits = _graph.Value(_logits);
        _probabilities ??= Own(Tensor.Empty(logits.Device, logits.Shape));
        SoftmaxOp.Forward(logits, _probabilities, logarithm: false);
        return _probabilities.ToArray();
    }

    /// <summary>The arg-max class of every position on the device, copied into <see cref="Classes"/>.</summary>
    public int[] ReadClasses()
    {
        var logits = _graph.Value(_logits);
        var perPosition = OutputShape.Rank == 4 ? new Shape(OutputShape[0], OutputShape[2], OutputShape[3]) : new Shape(OutputShape[0]);
        if (OutputShape.Rank is not (2 or 4))
            throw new InvalidOperationException($"Classes need outputs of [N, C] or [N, C, H, W], not {OutputShape}.");
        _classes ??= Own(IntTensor.Empty(logits.Device, perPosition));
        Predictions.ArgMax(logits, _classes);
        Classes ??= new int[perPosition.Numel];
        _classes.CopyTo(Classes);
        return Classes;
    }

    private static T Own<T>(T tensor) where T : DeviceTensor
    {
        tensor.DetachFromScope();
        return tensor;
    }

    /// <summary>Frees the plan's device memory.</summary>
    public void Dispose()
    {
        _probabilities?.Dispose();
        _classes?.Dispose();
        _graph.Dispose();
    }
}
