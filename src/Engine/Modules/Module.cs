using Engine.Devices;
using Engine.Graph;
using Engine.Ops.Random;
using Engine.Tensors;

namespace Engine.Modules;

/// <summary>
/// A building block with named parameters, buffers and child modules, like PyTorch's
/// <c>nn.Module</c>: <c>Call</c> adds its ops to a graph under its name, and the state
/// dict names follow the module tree (<c>layer1.0.conv1.weight</c>, <c>bn1.running_mean</c>).
/// Its weights live on the device <see cref="Initialize"/> put them on until <see cref="Dispose"/>
/// (or <see cref="Release"/>) frees them: a <c>using</c> gives the memory back even when an
/// exception comes first.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Module Child)> _children = new();
    private readonly List<(string Name, StateTensor State)> _state = new();
    private readonly List<(string Name, Func<long> Get, Action<long> Set)> _counters = new();

    /// <summary>Child modules, in registration order.</summary>
    public IReadOnlyList<(string Name, Module Child)> Children => _children;

    /// <summary>Adds the module's ops to the graph of <paramref name="input"/> under the current path.</summary>
    protected abstract Node Forward(Node input);

    /// <summary>
    /// Runs <c>Forward</c> inside a graph scope named <paramref name="name"/> (the child's
    /// registered name when called by a parent). A shape error is rethrown with the module path.
    /// </summary>
    public Node Call(Node input, string name = "") => Scoped(input, name, () => Forward(input));

    /// <summary>
    /// Builds inside a graph scope named <paramref name="name"/>, rethrowing a shape error with the
    /// module path: what <see cref="Call(Node, string)"/> does, for modules whose calls take or
    /// return more than one node.
    /// </summary>
    protected static T Scoped<T>(Node input, string name, Func<T> build)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = input.Graph.Scope(name);
        try
        {
            return build();
        }
        catch (ArgumentException e) when (e is not ModuleShapeException)
        {
            throw new ModuleShapeException(input.Graph.Path, e);
        }
    }

    /// <summary>Calls a registered child by its name.</summary>
    protected Node Call(string childName, Node input) => Child(childName).Call(input, childName);

    /// <summary>The registered child of that name.</summary>
    public Module Child(string name) => _children.FirstOrDefault(c => c.Name == name).Child
        ?? throw new ArgumentException($"{GetType().Name} has no child '{name}'.", nameof(name));

    /// <summary>Registers a child module under a name (part of every state-dict key below it).</summary>
    protected T Register<T>(string name, T child) where T : Module
    {
        if (_children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a child '{name}'.", nameof(name));
        _children.Add((name, child));
        return child;
    }

    /// <summary>Registers a trainable parameter.</summary>
    protected Parameter RegisterParameter(string name, Shape shape, Initializer init)
    {
        var p = new Parameter(shape, init);
        _state.Add((name, p));
        return p;
    }

    /// <summary>Registers a buffer (saved in the state dict, not trained).</summary>
    protected StateTensor RegisterBuffer(string name, Shape shape, Initializer init)
    {
        var b = new StateTensor(shape, init);
        _state.Add((name, b));
        return b;
    }

    /// <summary>Registers an int64 counter saved in the state dict (BatchNorm's num_batches_tracked).</summary>
    protected void RegisterCounter(string name, Func<long> get, Action<long> set) => _counters.Add((name, get, set));

    /// <summary>Every parameter with its full name, depth first, in registration order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() =>
        NamedState().Where(s => s.State is Parameter).Select(s => (s.Name, (Parameter)s.State));

    /// <summary>Every parameter and buffer with its full name.</summary>
    public IEnumerable<(string Name, StateTensor State)> NamedState(string prefix = "")
    {
        foreach (var (name, state) in _state)
            yield return (prefix + name, state);
        foreach (var (name, child) in _children)
        {
            foreach (var item in child.NamedState(prefix + name + "."))
                yield return item;
        }
    }

    /// <summary>Every int64 counter with its full name.</summary>
    public IEnumerable<(string Name, Func<long> Get, Action<long> Set)> NamedCounters(string prefix = "")
    {
        foreach (var (name, get, set) in _counters)
            yield return (prefix + name, get, set);
        foreach (var (name, child) in _children)
        {
            foreach (var item in child.NamedCounters(prefix + name + "."))
                yield return item;
        }
    }

    /// <summary>This module's children, their children and so on, depth first in registration order (PyTorch's <c>modules()</c> without itself).</summary>
    public IEnumerable<Module> Descendants()
    {
        foreach (var (_, child) in _children)
        {
            yield return child;
            foreach (var grandchild in child.Descendants())
                yield return grandchild;
        }
    }

    /// <summary>Number of trainable parameter elements.</summary>
    public long ParameterCount => NamedParameters().Sum(p => p.Parameter.Shape.Numel);

    /// <summary>
    /// Allocates every parameter and buffer on <paramref name="device"/> and initialises them as
    /// PyTorch does, drawing from a counter-based generator in registration order: the same seed
    /// gives the same weights on every backend. The parameters lie side by side in one flat buffer
    /// and their gradients in another (registration order), so an optimiser updates them all, and
    /// zeroes every gradient, in one launch each.
    /// </summary>
    public void Initialize(ComputeDevice device, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        var generator = new RandomGenerator(seed);
        var parameters = NamedState().Select(s => s.State).OfType<Parameter>().Distinct().ToList();
        long total = parameters.Sum(p => p.Shape.Numel);
        using var values = total > 0 ? Tensor.Empty(device, new Shape(Ops.Check.LaunchSize("parameters", total))) : null;
        using var grads = total > 0 ? Tensor.Zeros(device, new Shape((int)total)) : null;
        var offsets = new Dictionary<Parameter, long>();
        long offset = 0;
        foreach (var p in parameters)
        {
            offsets[p] = offset;
            offset += p.Shape.Numel;
        }
        foreach (var (_, state) in NamedState())
        {
            if (state is Parameter parameter)
                parameter.AllocateIn(values!, grads!, offsets[parameter], generator);
            else
                state.Allocate(device, generator);
        }
        foreach (var (_, _, set) in NamedCounters())
            set(0);
        FlatGradients?.Dispose();
        FlatGradients = grads?.Slice(grads.Shape, 0);
        FlatGradients?.DetachFromScope();
    }

    /// <summary>
    /// After <see cref="Initialize"/>: every parameter's gradient as one flat tensor (registration
    /// order), the memory the gradients are views of; what data-parallel training all-reduces.
    /// </summary>
    internal Tensor? FlatGradients { get; private set; }

    /// <summary>
    /// Frees every parameter, gradient and buffer. The module can be initialised (or loaded) again;
    /// until then its use says that it was released.
    /// </summary>
    public void Release()
    {
        FlatGradients?.Dispose();
        FlatGradients = null;
        foreach (var (_, state) in NamedState())
            state.Release();
    }

    /// <summary>Frees the module's device memory (<see cref="Release"/>).</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>True when every parameter and buffer holds data (after <see cref="Initialize"/>, before <see cref="Release"/>).</summary>
    public bool IsInitialized => NamedState().All(s => s.State.IsInitialized);

    /// <summary>True when the module's data was freed by <see cref="Release"/> or <see cref="Dispose"/> and not initialised again.</summary>
    public bool IsReleased => NamedState().Any(s => s.State.IsReleased);

    /// <summary>The device the module's data is on; null while it holds none.</summary>
    public ComputeDevice? Device => NamedState().Select(s => s.State).FirstOrDefault(s => s.IsInitialized)?.Value.Device;

    /// <summary>
    /// Checks that every parameter and buffer holds data on <paramref name="device"/>, naming the
    /// first that does not by its path: what a task or predictor checks when it is built, rather
    /// than at the first op that mixes devices.
    /// </summary>
    /// <param name="device">The device the model is to run on.</param>
    /// <param name="user">Who asks, at the start of the message (<c>the predictor</c>).</param>
    /// <exception cref="InvalidOperationException">A tensor that is released, not initialised, or on another device, named.</exception>
    public void EnsureOn(ComputeDevice device, string user)
    {
        ArgumentNullException.ThrowIfNull(device);
        foreach (var (name, state) in NamedState())
        {
            if (state.IsReleased)
                throw new InvalidOperationException($"{user} on {device.Name}: the model was released ({name} and the rest were freed by Dispose or Release); initialise it or load weights into it again first.");
            if (!state.IsInitialized)
                throw new InvalidOperationException($"{user} on {device.Name}: the model is not initialised ({name} has no value); call Initialize(device, seed) or load weights first.");
            var on = state.Value.Device;
            if (!ReferenceEquals(on, device))
                throw new InvalidOperationException($"{user} runs on {device.Name}, but the model's {name} is on {on.Name}{(on.IsDisposed ? " (disposed)" : "")}: initialise or load the model on {device.Name}.");
        }
    }

    /// <summary>
    /// Checks that the data the module holds (if any) is on <paramref name="device"/>, with the
    /// path of the first that is not: a model that holds no data yet passes (a trainer initialises it).
    /// </summary>
    /// <exception cref="InvalidOperationException">Some tensors hold data and others not, or data on another device, named.</exception>
    public void EnsureOnIfInitialized(ComputeDevice device, string user)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (NamedState().Any(s => s.State.IsInitialized))
            EnsureOn(device, user);
    }
}

/// <summary>A shape or argument error while building a graph, naming the module path where it happened.</summary>
public sealed class ModuleShapeException : ArgumentException
{
    internal ModuleShapeException(string path, ArgumentException inner)
        : base($"{(path.Length == 0 ? "(top)" : path)}: {inner.Message}", inner)
    {
        ModulePath = path;
    }

    /// <summary>The path of the module that failed (<c>layer2.0.conv1</c>).</summary>
    public string ModulePath { get; }
}
