using System.Runtime.CompilerServices;

namespace Engine.Distributed;

/// <summary>NCCL's <c>ncclUniqueId</c>: 128 opaque bytes that rank 0 makes and every rank passes, by value, to <c>ncclCommInitRank</c>.</summary>
[InlineArray(Length)]
internal struct NcclUniqueId
{
    /// <summary>NCCL_UNIQUE_ID_BYTES.</summary>
    public const int Length = 128;

    private byte _first;
}
