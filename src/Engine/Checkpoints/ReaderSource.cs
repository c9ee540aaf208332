namespace Engine.Checkpoints;

/// <summary>Tensors of an open safetensors file, read on demand.</summary>
internal sealed class ReaderSource(SafeTensorsReader reader) : ITensorSource
{
    /// <inheritdoc/>
    public IEnumerable<string> Names => reader.Tensors.Select(t => t.Name);
    /// <inheritdoc/>
    public bool Contains(string name) => reader.Contains(name);
    /// <inheritdoc/>
    public (SafeTensorType Type, long[] Shape) Describe(string name) => (reader.Info(name).Type, reader.Info(name).Shape);
    /// <inheritdoc/>
    public float[] ReadFloats(string name) => reader.ReadFloats(name);
    /// <inheritdoc/>
    public long[] ReadLongs(string name) => reader.ReadLongs(name);
}
