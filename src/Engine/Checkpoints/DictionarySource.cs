namespace Engine.Checkpoints;

/// <summary>Tensors already on the host.</summary>
internal sealed class DictionarySource(IReadOnlyDictionary<string, SafeTensor> tensors) : ITensorSource
{
    public IEnumerable<string> Names => tensors.Keys;
    public bool Contains(string name) => tensors.ContainsKey(name);
    public (SafeTensorType Type, long[] Shape) Describe(string name) => (tensors[name].Type, tensors[name].Shape);
    public float[] ReadFloats(string name) => tensors[name].ToFloats();
    public long[] ReadLongs(string name) => tensors[name].ToLongs();
}
