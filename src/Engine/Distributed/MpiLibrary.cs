using System.Runtime.InteropServices;

namespace Engine.Distributed;

/// <summary>
/// The part of MPI's C API this engine calls, bound at run time to a library of the MPICH ABI
/// (MPICH 3.1 and later, Intel MPI, MVAPICH, Cray MPICH: one ABI with integer handles). Nothing is
/// loaded until a distributed run asks for it, so the engine has no native dependency otherwise.
/// The library is <c>ENGINE_MPI_LIBRARY</c> when set, else the first of <see cref="Candidates"/> found.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    // Handles and constants of the MPICH ABI (mpi.h).
    internal const int CommWorld = 0x44000000;
    internal const int Byte = 0x4c00010d;
    internal const int Float = 0x4c00040a;
    internal const int Double = 0x4c00080b;
    internal const int Sum = 0x58000003;
    internal const int ErrorsReturn = 0x54000001;
    internal const int ThreadFunneled = 1;
    internal const int Success = 0;
    internal static readonly void* InPlace = (void*)-1;
    internal static readonly void* StatusIgnore = (void*)1;

    /// <summary>The environment variable naming the MPI library to load.</summary>
    internal const string LibraryVariable = "ENGINE_MPI_LIBRARY";

    /// <summary>Names tried in order: the MPICH ABI's soname, then MPICH's own.</summary>
    internal static readonly string[] Candidates = ["libmpi.so.12", "libmpich.so.12", "libmpi.so", "libmpich.so"];

    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<int, int*, int> _commRank;
    private readonly delegate* unmanaged<int, int*, int> _commSize;
    private readonly delegate* unmanaged<int, int, int> _commSetErrhandler;
    private readonly delegate* unmanaged<void*, void*, int, int, int, int, int*, int> _iallreduce;
    private readonly delegate* unmanaged<void*, int, int, int, int, int*, int> _ibcast;
    private readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int> _iallgather;
    private readonly delegate* unmanaged<int, int*, int> _ibarrier;
    private readonly delegate* unmanaged<int*, int*, void*, int> _test;
    private readonly delegate* unmanaged<int, int, int> _abort;
    private readonly delegate* unmanaged<int, byte*, int*, int> _errorString;
    private readonly delegate* unmanaged<byte*, int*, int> _getLibraryVersion;

    private MpiLibrary(IntPtr handle, string name)
    {
        Name = name;
        IntPtr Export(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? address
            : throw new CommunicatorException($"'{name}' has no {symbol}: it is not an MPI-3 library of the MPICH ABI.");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_size");
        _commSetErrhandler = (delegate* unmanaged<int, int, int>)Export("MPI_Comm_set_errhandler");
        _iallreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)Export("MPI_Iallreduce");
        _ibcast = (delegate* unmanaged<void*, int, int, int, int, int*, int>)Export("MPI_Ibcast");
        _iallgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int*, int>)Export("MPI_Iallgather");
        _ibarrier = (delegate* unmanaged<int, int*, int>)Export("MPI_Ibarrier");
        _test = (delegate* unmanaged<int*, int*, void*, int>)Export("MPI_Test");
        _abort = (delegate* unmanaged<int, int, int>)Export("MPI_Abort");
        _errorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        _getLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
    }

    /// <summary>The file loaded.</summary>
    internal string Name { get; }

    /// <summary>Loads the library (see the class summary); a missing one is named with what to install.</summary>
    internal static MpiLibrary Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
        foreach (string name in chosen is { Length: > 0 } ? [chosen] : Candidates)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
                return new MpiLibrary(handle, name);
        }
        throw new CommunicatorException(chosen is { Length: > 0 }
            ? $"{LibraryVariable} names '{chosen}', which cannot be loaded."
            : $"no MPI library of the MPICH ABI was found ({string.Join(", ", Candidates)}); install MPICH (Debian: apt-get install mpich) or set {LibraryVariable}.");
    }

    internal bool Initialized()
    {
        int flag;
        Check(_initialized(&flag), "MPI_Initialized");
        return flag != 0;
    }

    internal void InitThread()
    {
        int provided;
        Check(_initThread(null, null, ThreadFunneled, &provided), "MPI_Init_thread");
        // Errors come back as codes (turned into exceptions) instead of aborting every rank unexplained.
        Check(_commSetErrhandler(CommWorld, ErrorsReturn), "MPI_Comm_set_errhandler");
    }

    internal void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    internal int Rank()
    {
        int rank;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    internal int Size()
    {
        int size;
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    internal string Version()
    {
        byte* text = stackalloc byte[8192];
        int length;
        return _getLibraryVersion(text, &length) == Success ? Marshal.PtrToStringUTF8((IntPtr)text, length).Split('\n')[0].Trim() : Name;
    }

    internal int StartAllReduceSum(void* values, int count, int type, out int request)
    {
        int r;
        int code = _iallreduce(InPlace, values, count, type, Sum, CommWorld, &r);
        request = r;
        return code;
    }

    internal int StartBroadcast(void* values, int count, int type, int root, out int request)
    {
        int r;
        int code = _ibcast(values, count, type, root, CommWorld, &r);
        request = r;
        return code;
    }

    internal int StartAllGather(void* send, void* receive, int count, out int request)
    {
        int r;
        int code = _iallgather(send, count, Byte, receive, count, Byte, CommWorld, &r);
        request = r;
        return code;
    }

    internal int StartBarrier(out int request)
    {
        int r;
        int code = _ibarrier(CommWorld, &r);
        request = r;
        return code;
    }

    /// <summary>MPI_Test: whether <paramref name="request"/> has completed (the code in <paramref name="code"/>).</summary>
    internal bool Test(ref int request, out int code)
    {
        int flag, r = request;
        code = _test(&r, &flag, StatusIgnore);
        request = r;
        return flag != 0;
    }

    internal void Abort(int exitCode) => _abort(CommWorld, exitCode);

    /// <summary>The library's text for an error code.</summary>
    internal string ErrorText(int code)
    {
        byte* text = stackalloc byte[1024];
        int length;
        return _errorString(code, text, &length) == Success ? Marshal.PtrToStringUTF8((IntPtr)text, length).Trim() : $"MPI error {code}";
    }

    private void Check(int code, string call)
    {
        if (code != Success)
            throw new CommunicatorException($"{call} failed: {ErrorText(code)}");
    }
}
