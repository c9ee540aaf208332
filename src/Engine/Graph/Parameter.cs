using Engine.Devices;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine.Graph;

/// <summary>How a parameter or buffer is initialised (PyTorch's defaults).</summary>
public abstract record Initializer
{
    /// <summary>Fills <paramref name="tensor"/> on its device.</summary>
    public abstract void Apply(Tensor tensor, RandomGenerator generator);

    /// <summary>A constant (BatchNorm's ones and zeros).</summary>
    public sealed record Constant(float Value) : Initializer
    {
        /// <inheritdoc/>
        public override void Apply(Tensor tensor, RandomGenerator generator) => Ops.TensorOps.Fill(tensor, Value);
    }

    /// <summary>
    /// Uniform in <c>[-1/sqrt(fanIn), 1/sqrt(fanIn)]</c>: PyTorch's default for conv and linear
    /// weights (<c>kaiming_uniform_(a=sqrt(5))</c>) and biases.
    /// </summary>
    public sealed record FanInUniform(int FanIn) : Initializer
    {
        /// <inheritdoc/>
        public override void Apply(Tensor tensor, RandomGenerator generator)
        {
            float bound = 1f / MathF.Sqrt(FanIn);
            generator.Uniform(tensor, -bound, bound);
        }
    }

    /// <summary>
    /// Normal with mean 0 and standard deviation <c>gain / sqrt(fan)</c>: PyTorch's
    /// <c>kaiming_normal_</c>, where <paramref name="Fan"/> is the fan-in or, with
    /// <c>mode="fan_out"</c> as torchvision's ResNet uses, the fan-out (<c>out_channels * kH * kW</c>),
    /// and the gain is <c>sqrt(2)</c> for ReLU.
    /// </summary>
    public sealed record KaimingNormal(int Fan, float Gain = 1.41421356f) : Initializer
    {
        /// <summary>The standard deviation drawn with.</summary>
        public float Std => Gain / MathF.Sqrt(Fan);

        /// <inheritdoc/>
        public override void Apply(Tensor tensor, RandomGenerator generator) => generator.Normal(tensor, 0f, Std);
    }

    /// <summary>
    /// A transposed convolution's weight <c>[C, C, k, k]</c> as bilinear upsampling, channel by
    /// channel (FCN's <c>upsample_filt</c>): <c>w[c, c, i, j] = f(i) f(j)</c> with
    /// <c>f(t) = 1 - |t - centre| / factor</c>, <c>factor = ceil(k / 2)</c> and centre
    /// <c>factor - 1</c> for odd k, <c>factor - 0.5</c> for even; 0 between different channels.
    /// With stride s, k = 2s and padding s/2 it interpolates as <c>interpolate(scale_factor=s,
    /// mode="bilinear", align_corners=False)</c> does, reading zeros beyond the border.
    /// </summary>
    public sealed record BilinearUpsampling : Initializer
    {
        /// <inheritdoc/>
        public override void Apply(Tensor tensor, RandomGenerator generator)
        {
            var shape = tensor.Shape;
            if (shape.Rank != 4 || shape[0] != shape[1] || shape[2] != shape[3])
                throw new ArgumentException($"Bilinear upsampling initialises a [C, C, k, k] transposed-convolution weight, not {shape}.");
            tensor.CopyFrom(Weight(shape[0], shape[2]));
        }

        /// <summary>The weight <c>[channels, channels, k, k]</c>, row-major.</summary>
        public static float[] Weight(int channels, int k)
        {
            int factor = (k + 1) / 2;
            double centre = k % 2 == 1 ? factor - 1 : factor - 0.5;
            var filter = new float[k * k];
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    filter[i * k + j] = (float)((1 - Math.Abs(i - centre) / factor) * (1 - Math.Abs(j - centre) / factor));
            var weight = new float[(long)channels * channels * k * k];
            for (int c = 0; c < channels; c++)
                filter.CopyTo(weight, ((long)c * channels + c) * k * k);
            return weight;
        }
    }
}

/// <summary>
/// A named, persistent tensor of a module: a trainable parameter (with a gradient) or a buffer
/// (running statistics). Allocated by <c>Module.Initialize</c> on one device.
/// </summary>
public class StateTensor
{
    internal StateTensor(Shape shape, Initializer init)
    {
        Shape = shape;
        Init = init;
    }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>
    /// How it is initialised by the next <c>Module.Initialize</c>: a model may replace its layers'
    /// defaults after building them, as PyTorch models do with <c>nn.init</c> over <c>modules()</c>.
    /// </summary>
    public Initializer Init
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The data; throws until the module is initialised, and after it is released.</summary>
    public Tensor Value => _value ?? throw NotAllocated();

    /// <summary>True once allocated (and not released since).</summary>
    public bool IsInitialized => _value is not null;

    /// <summary>True after <c>Module.Release</c> or <c>Dispose</c> freed the data, until the next <c>Initialize</c>.</summary>
    public bool IsReleased { get; private set; }

    private Tensor? _value;

    /// <summary>Why there is no data: never initialised, or released; each says what to do.</summary>
    private protected InvalidOperationException NotAllocated() => new(IsReleased
        ? "The module was released (Dispose or Release freed its weights): call Initialize(device, seed) or load weights into it again before using it."
        : "The module is not initialised: call Initialize(device, seed) first.");

    internal virtual void Allocate(ComputeDevice device, RandomGenerator generator) =>
        Place(Tensor.Empty(device, Shape), generator);

    /// <summary>Takes <paramref name="value"/> (a new tensor or a slice of a module's flat buffer) as the data and initialises it.</summary>
    private protected void Place(Tensor value, RandomGenerator generator)
    {
        _value?.Dispose();
        _value = value;
        IsReleased = false;
        _value.DetachFromScope();
        Init.Apply(_value, generator);
    }

    internal virtual void Release()
    {
        if (_value is not null)
            IsReleased = true;
        _value?.Dispose();
        _value = null;
    }
}

/// <summary>A trainable tensor and its gradient, which accumulates until zeroed (as PyTorch's <c>.grad</c>).</summary>
public sealed class Parameter : StateTensor
{
    internal Parameter(Shape shape, Initializer init) : base(shape, init) { }

    /// <summary>The accumulated gradient; allocated with the value, zero at first.</summary>
    public Tensor Grad => _grad ?? throw NotAllocated();

    /// <summary>False to freeze the parameter: no gradient is computed for it.</summary>
    public bool RequiresGrad { get; set; } = true;

    private Tensor? _grad;

    internal override void Allocate(ComputeDevice device, RandomGenerator generator)
    {
        base.Allocate(device, generator);
        _grad?.Dispose();
        _grad = Tensor.Zeros(device, Shape);
        _grad.DetachFromScope();
    }

    /// <summary>
    /// Places the value and gradient at <paramref name="offset"/> in a module's flat parameter and
    /// gradient buffers (the gradient buffer zeroed already), so an optimiser updates every
    /// parameter in one launch.
    /// </summary>
    internal void AllocateIn(Tensor values, Tensor grads, long offset, RandomGenerator generator)
    {
        Place(values.Slice(Shape, offset), generator);
        _grad?.Dispose();
        _grad = grads.Slice(Shape, offset);
        _grad.DetachFromScope();
    }

    internal override void Release()
    {
        base.Release();
        _grad?.Dispose();
        _grad = null;
    }
}
