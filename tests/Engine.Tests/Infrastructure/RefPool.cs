namespace Engine.Tests.Infrastructure;

/// <summary>Float64 references for pooling (fixed and adaptive windows), unpooling and resampling, from PyTorch's definitions.</summary>
public static class RefPool
{
    public sealed record Window(int Planes, int H, int W, int KH, int KW, int SH, int SW, int PH = 0, int PW = 0, int DH = 1, int DW = 1, bool Ceil = false, bool IncludePad = true)
    {
        public int OutH => Out(H, KH, SH, PH, DH);
        public int OutW => Out(W, KW, SW, PW, DW);

        private int Out(int size, int k, int s, int p, int d)
        {
            int num = size + 2 * p - d * (k - 1) - 1;
            int o = (Ceil ? (num + s - 1) / s : num / s) + 1;
            if (Ceil && (o - 1) * s >= size + p)
                o--;
            return o;
        }

        public override string ToString() => $"{Planes}x{H}x{W} k{KH},{KW} s{SH},{SW} p{PH},{PW} d{DH},{DW}{(Ceil ? " ceil" : "")}{(IncludePad ? "" : " excl")}";
    }

    /// <summary>Max pooling: the first maximum in row-major window order; NaN wins (a later NaN replaces an earlier one).</summary>
    public static (double[] Values, int[] Indices) MaxPool(Window p, double[] x)
    {
        var values = new double[p.Planes * p.OutH * p.OutW];
        var indices = new int[values.Length];
        for (int c = 0; c < p.Planes; c++)
        for (int oh = 0; oh < p.OutH; oh++)
        for (int ow = 0; ow < p.OutW; ow++)
        {
            double best = double.NegativeInfinity;
            int index = -1;
            for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int h = oh * p.SH - p.PH + kh * p.DH, w = ow * p.SW - p.PW + kw * p.DW;
                if (h < 0 || h >= p.H || w < 0 || w >= p.W)
                    continue;
                double v = x[(c * p.H + h) * p.W + w];
                if (index < 0 || v > best || double.IsNaN(v))
                {
                    best = v;
                    index = h * p.W + w;
                }
            }
            int at = (c * p.OutH + oh) * p.OutW + ow;
            values[at] = best;
            indices[at] = index;
        }
        return (values, indices);
    }

    /// <summary>Average pooling with PyTorch's divisor (window clipped to the padded input, or to the input).</summary>
    public static double[] AvgPool(Window p, double[] x)
    {
        var y = new double[p.Planes * p.OutH * p.OutW];
        for (int c = 0; c < p.Planes; c++)
        for (int oh = 0; oh < p.OutH; oh++)
        for (int ow = 0; ow < p.OutW; ow++)
        {
            int h0 = oh * p.SH - p.PH, w0 = ow * p.SW - p.PW;
            int h1 = Math.Min(h0 + p.KH, p.H + p.PH), w1 = Math.Min(w0 + p.KW, p.W + p.PW);
            int poolSize = (h1 - h0) * (w1 - w0);
            h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0); h1 = Math.Min(h1, p.H); w1 = Math.Min(w1, p.W);
            double sum = 0;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++)
                    sum += x[(c * p.H + h) * p.W + w];
            y[(c * p.OutH + oh) * p.OutW + ow] = sum / (p.IncludePad ? poolSize : (h1 - h0) * (w1 - w0));
        }
        return y;
    }

    /// <summary>PyTorch's adaptive window along one axis: <c>[floor(i In / Out), ceil((i + 1) In / Out))</c>, in float64.</summary>
    public static (int Start, int End) AdaptiveWindow(int i, int input, int output) =>
        ((int)Math.Floor(i * (double)input / output), (int)Math.Ceiling((i + 1) * (double)input / output));

    /// <summary>Adaptive average pooling: each window's float64 mean.</summary>
    public static double[] AdaptiveAvgPool(int planes, int h, int w, int outH, int outW, double[] x)
    {
        var y = new double[planes * outH * outW];
        for (int c = 0; c < planes; c++)
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        {
            var (h0, h1) = AdaptiveWindow(oh, h, outH);
            var (w0, w1) = AdaptiveWindow(ow, w, outW);
            double sum = 0;
            for (int r = h0; r < h1; r++)
                for (int s = w0; s < w1; s++)
                    sum += x[(c * h + r) * w + s];
            y[(c * outH + oh) * outW + ow] = sum / ((h1 - h0) * (w1 - w0));
        }
        return y;
    }

    /// <summary>Adaptive max pooling: the first maximum in row-major window order, NaN wins; indices flat <c>h * W + w</c> per plane.</summary>
    public static (double[] Values, int[] Indices) AdaptiveMaxPool(int planes, int h, int w, int outH, int outW, double[] x)
    {
        var values = new double[planes * outH * outW];
        var indices = new int[values.Length];
        for (int c = 0; c < planes; c++)
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        {
            var (h0, h1) = AdaptiveWindow(oh, h, outH);
            var (w0, w1) = AdaptiveWindow(ow, w, outW);
            double best = double.NegativeInfinity;
            int index = -1;
            for (int r = h0; r < h1; r++)
            for (int s = w0; s < w1; s++)
            {
                double v = x[(c * h + r) * w + s];
                if (index < 0 || v > best || double.IsNaN(v))
                {
                    best = v;
                    index = r * w + s;
                }
            }
            values[(c * outH + oh) * outW + ow] = best;
            indices[(c * outH + oh) * outW + ow] = index;
        }
        return (values, indices);
    }

    /// <summary>Max unpooling as a sequential scatter: later writes win.</summary>
    public static double[] Unpool(int planes, int inPlane, int outPlane, double[] x, int[] indices)
    {
        var y = new double[planes * outPlane];
        for (int c = 0; c < planes; c++)
            for (int s = 0; s < inPlane; s++)
                y[c * outPlane + indices[c * inPlane + s]] = x[c * inPlane + s];
        return y;
    }

    /// <summary>Bilinear resampling with PyTorch's source-index rule; scales as the engine passes them (float).</summary>
    public static double[] Bilinear(int planes, int h, int w, int outH, int outW, double scaleH, double scaleW, bool alignCorners, double[] x)
    {
        var y = new double[planes * outH * outW];
        for (int c = 0; c < planes; c++)
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        {
            var (h0, h1, lh) = Source(oh, scaleH, h, alignCorners);
            var (w0, w1, lw) = Source(ow, scaleW, w, alignCorners);
            double top = (1 - lw) * x[(c * h + h0) * w + w0] + lw * x[(c * h + h0) * w + w1];
            double bottom = (1 - lw) * x[(c * h + h1) * w + w0] + lw * x[(c * h + h1) * w + w1];
            y[(c * outH + oh) * outW + ow] = (1 - lh) * top + lh * bottom;
        }
        return y;
    }

    /// <summary>Nearest resampling: <c>src = min(floor(dst * scale), In - 1)</c>.</summary>
    public static double[] Nearest(int planes, int h, int w, int outH, int outW, double scaleH, double scaleW, double[] x)
    {
        var y = new double[planes * outH * outW];
        for (int c = 0; c < planes; c++)
        for (int oh = 0; oh < outH; oh++)
        for (int ow = 0; ow < outW; ow++)
        {
            int sh = Math.Min((int)Math.Floor((float)(oh * (float)scaleH)), h - 1);
            int sw = Math.Min((int)Math.Floor((float)(ow * (float)scaleW)), w - 1);
            y[(c * outH + oh) * outW + ow] = x[(c * h + sh) * w + sw];
        }
        return y;
    }

    private static (int I0, int I1, double Lambda) Source(int d, double scale, int size, bool alignCorners)
    {
        double src = alignCorners ? scale * d : Math.Max(scale * (d + 0.5) - 0.5, 0);
        int i0 = Math.Min((int)Math.Floor(src), size - 1);
        int i1 = Math.Min(i0 + 1, size - 1);
        return (i0, i1, i1 == i0 ? 0 : src - i0);
    }
}
