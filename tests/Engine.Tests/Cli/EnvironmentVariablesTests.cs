using Engine.Tests.Infrastructure;
using System.Collections;
using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>ENGINE_* variables are checked like options: what their readers take passes, anything else is refused by name and value.</summary>
[DeviceIndependent("the ENGINE_* variables are parsed and checked on the host before any device is opened")]
public sealed class EnvironmentVariablesTests
{
    private static string? Problem(params (string Name, string Value)[] variables) =>
        EnvironmentVariables.Problem(new Hashtable(variables.ToDictionary(v => v.Name, v => (object?)v.Value)));

    [Theory]
    [InlineData("ENGINE_HOST_PATH", "0")]
    [InlineData("ENGINE_HOST_PATH", "off")]
    [InlineData("ENGINE_HOST_PATH", "true")]
    [InlineData("ENGINE_PROFILE", "1")]
    [InlineData("ENGINE_VERBOSE", "on")]
    [InlineData("ENGINE_DEVICE", "opencl:1")]
    [InlineData("ENGINE_DEVICE", "CUDA")]
    [InlineData("ENGINE_DEVICE", "")]
    [InlineData("ENGINE_GEMM", "shared")]
    [InlineData("ENGINE_PEER_TIMEOUT", "0.5")]
    [InlineData("ENGINE_MPI_LIBRARY", "/opt/mpich/lib/libmpi.so.12")]
    [InlineData("ENGINE_NCCL_LIBRARY", "/usr/lib/x86_64-linux-gnu/libnccl.so.2")]
    [InlineData("ENGINE_BUCKET_MIB", "25")]
    [InlineData("ENGINE_BUCKET_MIB", "0.02")]
    [InlineData("ENGINE_OVERLAP", "0")]
    [InlineData("ENGINE_OVERLAP", "on")]
    [InlineData("ENGINE_ROOTFS", "/var/tmp/other")] // the CI script's, not the engine's
    [InlineData("PATH", "/usr/bin")]
    public void WhatTheReadersTakePasses(string name, string value) => Assert.Null(Problem((name, value)));

    [Theory]
    [InlineData("ENGINE_HOST_PATH", "maybe", "ENGINE_HOST_PATH='maybe' must be 1 or 0")]
    [InlineData("ENGINE_HOST_PATH", "OFF", "ENGINE_HOST_PATH='OFF' must be 1 or 0")] // the reader would take it as on
    [InlineData("ENGINE_DEVICE", "gpu", "ENGINE_DEVICE='gpu' is not a device")]
    [InlineData("ENGINE_PEER_TIMEOUT", "NaN", "ENGINE_PEER_TIMEOUT='NaN' must be a number of seconds")]
    [InlineData("ENGINE_PEER_TIMEOUT", "1e9", "ENGINE_PEER_TIMEOUT='1e9' must be a number of seconds")]
    [InlineData("ENGINE_GEMM", "Shared", "ENGINE_GEMM='Shared' must be one of auto, register, shared, host")]
    [InlineData("ENGINE_BUCKET_MIB", "25M", "ENGINE_BUCKET_MIB='25M' must be a size in MiB in [4 bytes, 1 TiB]")]
    [InlineData("ENGINE_BUCKET_MIB", "0.000001", "ENGINE_BUCKET_MIB='0.000001' must be a size in MiB in [4 bytes, 1 TiB]")] // 1 byte: not one float
    [InlineData("ENGINE_BUCKET_MIB", "NaN", "ENGINE_BUCKET_MIB='NaN' must be a size in MiB")]
    [InlineData("ENGINE_OVERLAP", "2", "ENGINE_OVERLAP='2' must be 0 (exchange after the backward pass) or 1")]
    [InlineData("ENGINE_OVERLAP", "yes", "ENGINE_OVERLAP='yes' must be 0")]
    [InlineData("ENGINE_NCCL_LIB", "libnccl.so.2", "ENGINE_NCCL_LIB is not a variable the engine reads")]
    [InlineData("ENGINE_HOSTPATH", "0", "ENGINE_HOSTPATH is not a variable the engine reads")]
    public void AnythingElseIsRefusedByNameAndValue(string name, string value, string message) =>
        Assert.Equal(message, Problem((name, value))?[..message.Length]);

    [Fact]
    public void ALongValueIsShortenedInTheMessage()
    {
        string problem = Problem(("ENGINE_GEMM", new string('x', 5000)))!;
        Assert.True(problem.Length < 200, problem);
    }
}
