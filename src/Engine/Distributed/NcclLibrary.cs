using System.Runtime.InteropServices;

namespace Engine.Distributed;

/// <summary>
/// The part of NCCL's C API (<c>nccl.h</c>, NCCL 2.x) that <see cref="NcclCommunicator"/> calls,
/// bound at run time: nothing is loaded until a run asks for NCCL, so the engine has no native
/// dependency otherwise. The library is <c>ENGINE_NCCL_LIBRARY</c> when set, else the first of
/// <see cref="Candidates"/> found. Streams are CUDA's <c>cudaStream_t</c>, which are the driver's
/// <c>CUstream</c> handles ILGPU holds.
/// </summary>
internal sealed unsafe class NcclLibrary
{
    // ncclDataType_t and ncclRedOp_t values of nccl.h.
    internal const int Float32 = 7;
    internal const int Sum = 0;
    internal const int Success = 0;
    internal const int InProgress = 7;

    /// <summary>The environment variable naming the NCCL library to load.</summary>
    internal const string LibraryVariable = "ENGINE_NCCL_LIBRARY";

    /// <summary>Names tried in order: NCCL 2's soname, then the development link.</summary>
    internal static readonly string[] Candidates = ["libnccl.so.2", "libnccl.so"];

    private readonly delegate* unmanaged<int*, int> _getVersion;
    private readonly delegate* unmanaged<NcclUniqueId*, int> _getUniqueId;
    private readonly delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int> _commInitRank;
    private readonly delegate* unmanaged<IntPtr, int> _commDestroy;
    private readonly delegate* unmanaged<IntPtr, int> _commAbort;
    private readonly delegate* unmanaged<IntPtr, int*, int> _commGetAsyncError;
    private readonly delegate* unmanaged<int, byte*> _getErrorString;
    private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> _allReduce;
    private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> _broadcast;
    private readonly delegate* unmanaged<int> _groupStart;
    private readonly delegate* unmanaged<int> _groupEnd;

    private NcclLibrary(IntPtr handle, string name)
    {
        Name = name;
        IntPtr Export(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? address
            : throw new CommunicatorException($"'{name}' has no {symbol}: it is not NCCL 2.");
        _getVersion = (delegate* unmanaged<int*, int>)Export("ncclGetVersion");
        _getUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export("ncclGetUniqueId");
        _commInitRank = (delegate* unmanaged<IntPtr*, int, NcclUniqueId, int, int>)Export("ncclCommInitRank");
        _commDestroy = (delegate* unmanaged<IntPtr, int>)Export("ncclCommDestroy");
        _commAbort = (delegate* unmanaged<IntPtr, int>)Export("ncclCommAbort");
        _commGetAsyncError = (delegate* unmanaged<IntPtr, int*, int>)Export("ncclCommGetAsyncError");
        _getErrorString = (delegate* unmanaged<int, byte*>)Export("ncclGetErrorString");
        _allReduce = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)Export("ncclAllReduce");
        _broadcast = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)Export("ncclBroadcast");
        _groupStart = (delegate* unmanaged<int>)Export("ncclGroupStart");
        _groupEnd = (delegate* unmanaged<int>)Export("ncclGroupEnd");
    }

    /// <summary>The file loaded.</summary>
    internal string Name { get; }

    /// <summary>Loads the library named by <see cref="LibraryVariable"/>, or the first of <see cref="Candidates"/>; a missing one is named with how to get it.</summary>
    internal static NcclLibrary Load() => Load(Environment.GetEnvironmentVariable(LibraryVariable), Candidates);

    /// <summary>Loads <paramref name="chosen"/> when given (not empty), else the first of <paramref name="candidates"/> that loads.</summary>
    internal static NcclLibrary Load(string? chosen, IReadOnlyList<string> candidates)
    {
        foreach (string name in chosen is { Length: > 0 } ? [chosen] : candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
                return new NcclLibrary(handle, name);
        }
        const string Install = "NVIDIA's CUDA repository: apt-get install libnccl2; or pip install nvidia-nccl-cu12";
        throw new CommunicatorException(chosen is { Length: > 0 }
            ? $"{LibraryVariable} names '{chosen}', which cannot be loaded; point it at NCCL 2's libnccl.so.2 ({Install}), or unset it to search {string.Join(", ", candidates)}."
            : $"NCCL was not found ({string.Join(", ", candidates)}); install it ({Install}) and set {LibraryVariable} to its libnccl.so.2 when it is not on the loader's path.");
    }

    internal string Version()
    {
        int version;
        return _getVersion(&version) == Success ? $"NCCL {version / 10000}.{version / 100 % 100}.{version % 100}" : "NCCL";
    }

    internal NcclUniqueId UniqueId()
    {
        NcclUniqueId id = default;
        Check(_getUniqueId(&id), "ncclGetUniqueId");
        return id;
    }

    internal IntPtr InitRank(int ranks, NcclUniqueId id, int rank)
    {
        IntPtr comm;
        Check(_commInitRank(&comm, ranks, id, rank), "ncclCommInitRank");
        return comm;
    }

    internal void Destroy(IntPtr comm) => _commDestroy(comm);

    internal void Abort(IntPtr comm) => _commAbort(comm);

    /// <summary>An error NCCL met on its own threads (a peer that left, a network failure); 0 when none.</summary>
    internal int AsyncError(IntPtr comm)
    {
        int error;
        int code = _commGetAsyncError(comm, &error);
        return code != Success ? code : error == InProgress ? Success : error;
    }

    internal int AllReduceSum(IntPtr buffer, long count, IntPtr comm, IntPtr stream) =>
        _allReduce(buffer, buffer, (nuint)count, Float32, Sum, comm, stream);

    internal int Broadcast(IntPtr buffer, long count, int root, IntPtr comm, IntPtr stream) =>
        _broadcast(buffer, buffer, (nuint)count, Float32, root, comm, stream);

    internal void GroupStart() => Check(_groupStart(), "ncclGroupStart");

    internal void GroupEnd() => Check(_groupEnd(), "ncclGroupEnd");

    /// <summary>NCCL's text for a result code.</summary>
    internal string ErrorText(int code) => Marshal.PtrToStringUTF8((IntPtr)_getErrorString(code)) ?? $"NCCL error {code}";

    internal void Check(int code, string call)
    {
        if (code != Success)
            throw new CommunicatorException($"{call} failed: {ErrorText(code)}");
    }
}
