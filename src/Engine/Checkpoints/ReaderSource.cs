namespace Engine.Checkpoints;

/// <summary>Tensors of an open safetensors file, read on demand.</summary>
internal sealed class ReaderSource(SafeTensorsReader reader) : ITensorSource
{
    public IEnumerable<string> Names => reader.Tensors.Select(t => t.Name);
    public bool Contains(string name) => reader.Contains(name);
    public (SafeTensorType Type, long[] Shape) Describe(string name) => (reader.Info(name).Type, reader.Info(name).Shape);
    public float[] ReadFloats(string name) => reader.ReadFloats(name);
    public long[] ReadLongs(string name) => reader.ReadLongs(name);
}
