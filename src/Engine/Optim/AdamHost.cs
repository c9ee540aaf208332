using System.Numerics;
using Engine.Devices;
using Engine.Ops;
using ILGPU;

namespace Engine.Optim;

/// <summary>
/// The Adam and AdamW update as a host vector loop on the CPU accelerator's buffers (see
/// <see cref="HostPath"/>): <c>OptimizerKernels.Adam</c>'s formula operation for operation, so the
/// same bits (IEEE square root and division in both).
/// </summary>
internal static unsafe class AdamHost
{
    internal static void Update(ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, ArrayView<float> gradScale, long n,
        float lr, float beta1, float beta2, float eps, float weightDecay, float correction1, float correction2, bool decoupled)
    {
        float scale = HostPath.Pointer(gradScale)[0];
        if (HostPath.Pointer(gradScale)[1] != 0f)
            return; // halted by the step guard, as OptimizerKernels.Adam
        HostPath.Chunks(n, (start, length) =>
        {
            float* pp = HostPath.Pointer(p) + start, pg = HostPath.Pointer(grad) + start, pm = HostPath.Pointer(m) + start, pv = HostPath.Pointer(v) + start;
            var vScale = new Vector<float>(scale);
            var vDecay = new Vector<float>(1f - lr * weightDecay);
            var vWeightDecay = new Vector<float>(weightDecay);
            var vBeta1 = new Vector<float>(beta1);
            var vBeta2 = new Vector<float>(beta2);
            var vOneMinusBeta1 = new Vector<float>(1f - beta1);
            var vOneMinusBeta2 = new Vector<float>(1f - beta2);
            var vLr = new Vector<float>(lr);
            var vC1 = new Vector<float>(correction1);
            var vC2 = new Vector<float>(correction2);
            var vEps = new Vector<float>(eps);
            int lanes = Vector<float>.Count, i = 0;
            for (; i + lanes <= length; i += lanes)
            {
                var param = Vector.Load(pp + i);
                var g = vScale * Vector.Load(pg + i);
                if (decoupled)
                    param *= vDecay;
                else
                    g += vWeightDecay * param;
                var mi = vBeta1 * Vector.Load(pm + i) + vOneMinusBeta1 * g;
                var vi = vBeta2 * Vector.Load(pv + i) + vOneMinusBeta2 * g * g;
                mi.Store(pm + i);
                vi.Store(pv + i);
                (param - vLr * (mi / vC1) / (Vector.SquareRoot(vi / vC2) + vEps)).Store(pp + i);
            }
            for (; i < length; i++)
            {
                float param = pp[i];
                float g = scale * pg[i];
                if (decoupled)
                    param *= 1f - lr * weightDecay;
                else
                    g += weightDecay * param;
                float mi = beta1 * pm[i] + (1f - beta1) * g;
                float vi = beta2 * pv[i] + (1f - beta2) * g * g;
                pm[i] = mi;
                pv[i] = vi;
                pp[i] = param - lr * (mi / correction1) / (MathF.Sqrt(vi / correction2) + eps);
            }
        });
    }
}
