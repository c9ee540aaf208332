namespace Engine.Checkpoints;

/// <summary>Tensors already on the host.</summary>
internal sealed class DictionarySource(IReadOnlyDictionary<string, SafeTensor> tensors) : ITensorSource
{
    /// <inheritdoc/>
    public IEnumerable<string> Names => tensors.Keys;
    /// <inheritdoc/>
    public bool Contains(string name) => tensors.ContainsKey(name);
    /// <inheritdoc/>
    public (SafeTensorType Type, long[] Shape) Describe(string name) => (tensors[name].Type, tensors[name].Shape);
    /// <inheritdoc/>
    public float[] ReadFloats(string name) => tensors[name].ToFloats();
    /// <inheritdoc/>
    public long[] ReadLongs(string name) => tensors[name].ToLongs();
}
