namespace Engine.Checkpoints;

/// <summary>The element types a safetensors file may hold that the engine reads.</summary>
public enum SafeTensorType
{
    /// <summary>float32 ("F32").</summary>
    F32,
    /// <summary>int32 ("I32").</summary>
    I32,
    /// <summary>int64 ("I64"), e.g. PyTorch's num_batches_tracked.</summary>
    I64,
    /// <summary>IEEE half precision ("F16", <c>torch.float16</c>): read as float32, exactly.</summary>
    F16,
    /// <summary>bfloat16 ("BF16", <c>torch.bfloat16</c>): read as float32, exactly.</summary>
    BF16,
}
