using Engine.Data;
using Engine.Devices;
using Engine.Tensors;

namespace Engine.Training;

/// <summary>
/// Two page-locked staging buffers that batches are uploaded from in turn, without a wait: before
/// a buffer is written again, the host waits on the fence behind the upload from it two batches
/// ago (done long since, unless the host runs ahead of the device), the step's one synchronisation.
/// </summary>
internal sealed class BatchStaging(ComputeDevice device, long images, long targets) : IDisposable
{
    private readonly Buffer[] _buffers = [new(device, images, targets), new(device, images, targets)];
    private int _next;

    /// <summary>Copies the batch into the next buffer and queues its upload into <paramref name="x"/> (and <paramref name="y"/>).</summary>
    public void Upload(Batch batch, Tensor x, IntTensor? y)
    {
        var buffer = _buffers[_next];
        _next = 1 - _next;
        buffer.WaitUntilFree();
        batch.Images.CopyTo(buffer.Images.Span);
        x.UploadAsync(buffer.Images);
        if (y is not null)
        {
            batch.Targets.CopyTo(buffer.Targets!.Span);
            y.UploadAsync(buffer.Targets);
        }
        buffer.Uploaded = device.Fence();
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers)
            buffer.Dispose();
    }

    private sealed class Buffer(ComputeDevice device, long images, long targets) : IDisposable
    {
        public PinnedBuffer<float> Images { get; } = device.AllocatePinned<float>(images);
        public PinnedBuffer<int>? Targets { get; } = targets > 0 ? device.AllocatePinned<int>(targets) : null;
        public DeviceFence? Uploaded { get; set; }

        public void WaitUntilFree()
        {
            Uploaded?.Wait();
            Uploaded?.Dispose();
            Uploaded = null;
        }

        public void Dispose()
        {
            Uploaded?.Dispose();
            Images.Dispose();
            Targets?.Dispose();
        }
    }
}
