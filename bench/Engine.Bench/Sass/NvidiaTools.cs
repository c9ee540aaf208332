using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Engine.Bench.Sass;

/// <summary>
/// NVIDIA's assembler and disassembler (<c>ptxas</c>, <c>cuobjdump</c> from CUDA 11.8), which turn
/// PTX into the machine code (SASS) a GPU runs and list it, for any architecture and with no GPU.
/// Found in <c>CUDA_TOOLS_DIR</c>, or fetched by <c>scripts/cuda-tools.sh</c>.
/// </summary>
internal sealed partial class NvidiaTools
{
    private readonly string _folder;

    private NvidiaTools(string folder) => _folder = folder;

    /// <summary>The tools in <c>CUDA_TOOLS_DIR</c>, or where <c>scripts/cuda-tools.sh</c> puts them.</summary>
    public static NvidiaTools Locate()
    {
        string? folder = Environment.GetEnvironmentVariable("CUDA_TOOLS_DIR");
        if (string.IsNullOrEmpty(folder))
        {
            string script = Path.Combine(RepositoryRoot(), "scripts", "cuda-tools.sh");
            var (code, output, error) = Run("bash", [script], timeoutSeconds: 600);
            if (code != 0)
                throw new InvalidOperationException($"scripts/cuda-tools.sh failed ({code}): {error.Trim()}");
            folder = output.Trim().Split('\n')[^1];
        }
        if (!File.Exists(Path.Combine(folder, "ptxas")) || !File.Exists(Path.Combine(folder, "cuobjdump")))
            throw new InvalidOperationException($"{folder} holds no ptxas and cuobjdump (set CUDA_TOOLS_DIR, or run scripts/cuda-tools.sh as root).");
        return new NvidiaTools(folder);
    }

    /// <summary>The version line ptxas prints.</summary>
    public string Version => Run(Path.Combine(_folder, "ptxas"), ["--version"], 60).Output.Trim().Split('\n')[^1];

    /// <summary>
    /// Assembles <paramref name="ptx"/> for <paramref name="architecture"/> (<c>sm_80</c>, <c>sm_90</c>) with
    /// <c>ptxas -v -O3</c> in <paramref name="folder"/> under <paramref name="name"/>, and lists the machine code.
    /// </summary>
    public AssembledKernel Assemble(string ptx, string architecture, string folder, string name)
    {
        string ptxFile = Path.Combine(folder, name + ".ptx");
        string cubin = Path.Combine(folder, name + ".cubin");
        File.WriteAllText(ptxFile, ptx);
        var (code, output, error) = Run(Path.Combine(_folder, "ptxas"), ["-v", "-O3", "--gpu-name", architecture, ptxFile, "-o", cubin], 600);
        string log = output + error;
        if (code != 0)
            return new AssembledKernel(false, log.Trim(), Resources: null, Sass: "");
        var sass = Run(Path.Combine(_folder, "cuobjdump"), ["-sass", cubin], 600);
        if (sass.Code != 0)
            return new AssembledKernel(false, sass.Error.Trim(), Resources: null, Sass: "");
        File.WriteAllText(Path.Combine(folder, name + ".sass"), sass.Output);
        return new AssembledKernel(true, log, ParseResources(log), sass.Output);
    }

    private static KernelResources ParseResources(string log)
    {
        var used = UsedPattern().Match(log);
        var frame = FramePattern().Match(log);
        int smem = used.Groups["smem"].Success ? int.Parse(used.Groups["smem"].Value) : 0;
        return new KernelResources(
            Registers: used.Success ? int.Parse(used.Groups["regs"].Value) : 0,
            SharedBytes: smem,
            StackBytes: frame.Success ? int.Parse(frame.Groups["stack"].Value) : 0,
            SpillStoreBytes: frame.Success ? int.Parse(frame.Groups["stores"].Value) : 0,
            SpillLoadBytes: frame.Success ? int.Parse(frame.Groups["loads"].Value) : 0);
    }

    [GeneratedRegex(@"Used (?<regs>\d+) registers(, (?<smem>\d+) bytes smem)?")]
    private static partial Regex UsedPattern();

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<stores>\d+) bytes spill stores, (?<loads>\d+) bytes spill loads")]
    private static partial Regex FramePattern();

    private static (int Code, string Output, string Error) Run(string file, string[] args, int timeoutSeconds)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} took over {timeoutSeconds} s.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                return dir.FullName;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Run the SASS report from the repository (scripts/sass-report.sh), or set CUDA_TOOLS_DIR.");
    }
}

/// <summary>What ptxas made of one kernel: whether it assembled (else its message), its resources and its machine code.</summary>
internal sealed record AssembledKernel(bool Assembled, string Log, KernelResources? Resources, string Sass);

/// <summary>What ptxas -v reports for one kernel.</summary>
internal sealed record KernelResources(int Registers, int SharedBytes, int StackBytes, int SpillStoreBytes, int SpillLoadBytes)
{
    /// <summary>True when the kernel spills registers to local memory.</summary>
    public bool Spills => SpillStoreBytes > 0 || SpillLoadBytes > 0;
}
