namespace Engine.Generators;

/// <summary>How a kernel is loaded and launched, read from its first parameters.</summary>
internal enum Launch
{
    /// <summary><c>(Index1D, WorkRange, ...)</c>: <c>ChunkedKernel.Load</c>; the launcher takes the element count.</summary>
    Chunked,

    /// <summary><c>(Index1D, ...)</c> (or another ILGPU index): ILGPU's auto-grouped stream kernel.</summary>
    AutoGrouped,

    /// <summary>Any other first parameter: a stream kernel compiled with its launch bounds; the launcher takes a <c>KernelConfig</c>.</summary>
    ExplicitlyGrouped,
}
