namespace Engine.Tensors;

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost scope, like
/// TorchSharp's <c>DisposeScope</c>. Results that must outlive it are moved out with
/// <see cref="MoveToOuter{TTensor}"/> (or <see cref="DeviceTensor.DetachFromScope"/>).
/// </summary>
/// <example><code>
/// using (var scope = DisposeScope.Enter())
/// {
///     var t = Tensor.Zeros(device, 2, 3);      // freed when the scope ends
///     result = scope.MoveToOuter(Compute(t));  // survives
/// }
/// </code></example>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    private static DisposeScope? s_current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<DeviceTensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) => _outer = outer;

    /// <summary>Opens a scope that becomes the innermost one on this thread.</summary>
    public static DisposeScope Enter() => s_current = new DisposeScope(s_current);

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static DisposeScope? Current => s_current;

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    /// <summary>Hands a tensor to the enclosing scope (or to no scope), so this one does not dispose it.</summary>
    public TTensor MoveToOuter<TTensor>(TTensor tensor) where TTensor : DeviceTensor
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_owned.Remove(tensor))
            throw new InvalidOperationException("The tensor does not belong to this scope.");
        tensor.Scope = _outer;
        _outer?._owned.Add(tensor);
        return tensor;
    }

    internal static void Register(DeviceTensor tensor)
    {
        var scope = s_current;
        if (scope is null)
            return;
        scope._owned.Add(tensor);
        tensor.Scope = scope;
    }

    internal void Forget(DeviceTensor tensor) => _owned.Remove(tensor);

    /// <summary>Disposes the tensors this scope owns and makes the enclosing scope current again.</summary>
    /// <exception cref="InvalidOperationException">An inner scope is still open.</exception>
    public void Dispose()
    {
        if (_disposed)
            return;
        if (s_current != this)
            throw new InvalidOperationException("Dispose scopes must end in the reverse order they were entered.");
        _disposed = true;
        s_current = _outer;
        foreach (var tensor in _owned.ToList())
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
        _owned.Clear();
    }
}
