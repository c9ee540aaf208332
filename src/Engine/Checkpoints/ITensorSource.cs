namespace Engine.Checkpoints;

/// <summary>Named host tensors a state-dict load reads from: an open file or a dictionary.</summary>
internal interface ITensorSource
{
    /// <summary>Every name.</summary>
    IEnumerable<string> Names { get; }

    /// <summary>Whether the name is present.</summary>
    bool Contains(string name);

    /// <summary>Type and shape, without the data.</summary>
    (SafeTensorType Type, long[] Shape) Describe(string name);

    /// <summary>The values of an F32 tensor.</summary>
    float[] ReadFloats(string name);

    /// <summary>The values of an integer tensor.</summary>
    long[] ReadLongs(string name);
}
