namespace Engine.Tests.Infrastructure;

/// <summary>Direct-loop float64 convolutions, written from the definitions (no im2col).</summary>
public static class RefConv
{
    /// <summary>Parameters of a reference convolution, per axis.</summary>
    public sealed record Params(int N, int Cin, int H, int W, int Cout, int KH, int KW,
        int SH = 1, int SW = 1, int PH = 0, int PW = 0, int DH = 1, int DW = 1, int Groups = 1, int OPH = 0, int OPW = 0)
    {
        public int OutH => (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
        public int OutW => (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
        public int TOutH => (H - 1) * SH - 2 * PH + DH * (KH - 1) + OPH + 1;
        public int TOutW => (W - 1) * SW - 2 * PW + DW * (KW - 1) + OPW + 1;
        public override string ToString() =>
            $"N{N} C{Cin}->{Cout} {H}x{W} k{KH}x{KW} s{SH},{SW} p{PH},{PW} d{DH},{DW} g{Groups} op{OPH},{OPW}";
    }

    /// <summary><c>out[n,co,oh,ow] = b[co] + sum w[co,ci,kh,kw] x[n, g*CinG+ci, oh*s-p+kh*d, ow*s-p+kw*d]</c>.</summary>
    public static double[] Conv2d(Params p, double[] x, double[] w, double[]? b)
    {
        int cinG = p.Cin / p.Groups, coutG = p.Cout / p.Groups;
        var y = new double[p.N * p.Cout * p.OutH * p.OutW];
        for (int n = 0; n < p.N; n++)
        for (int co = 0; co < p.Cout; co++)
        for (int oh = 0; oh < p.OutH; oh++)
        for (int ow = 0; ow < p.OutW; ow++)
        {
            int g = co / coutG;
            double sum = b?[co] ?? 0;
            for (int ci = 0; ci < cinG; ci++)
            for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int h = oh * p.SH - p.PH + kh * p.DH, ww = ow * p.SW - p.PW + kw * p.DW;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W)
                    continue;
                sum += w[((co * cinG + ci) * p.KH + kh) * p.KW + kw] * x[((n * p.Cin + g * cinG + ci) * p.H + h) * p.W + ww];
            }
            y[((n * p.Cout + co) * p.OutH + oh) * p.OutW + ow] = sum;
        }
        return y;
    }

    /// <summary>
    /// Transposed convolution as the scatter of its definition: every input pixel adds
    /// <c>x[n, ci, h, w] * w[ci, co, kh, kw]</c> to <c>out[n, g*CoutG+co, h*s-p+kh*d, w*s-p+kw*d]</c>.
    /// </summary>
    public static double[] ConvTranspose2d(Params p, double[] x, double[] w, double[]? b)
    {
        int cinG = p.Cin / p.Groups, coutG = p.Cout / p.Groups;
        int outH = p.TOutH, outW = p.TOutW;
        var y = new double[p.N * p.Cout * outH * outW];
        for (int n = 0; n < p.N; n++)
        for (int co = 0; co < p.Cout; co++)
        for (int i = 0; i < outH * outW; i++)
            y[(n * p.Cout + co) * outH * outW + i] = b?[co] ?? 0;
        for (int n = 0; n < p.N; n++)
        for (int ci = 0; ci < p.Cin; ci++)
        for (int h = 0; h < p.H; h++)
        for (int ww = 0; ww < p.W; ww++)
        {
            int g = ci / cinG;
            double v = x[((n * p.Cin + ci) * p.H + h) * p.W + ww];
            for (int co = 0; co < coutG; co++)
            for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int oh = h * p.SH - p.PH + kh * p.DH, ow = ww * p.SW - p.PW + kw * p.DW;
                if (oh < 0 || oh >= outH || ow < 0 || ow >= outW)
                    continue;
                y[((n * p.Cout + g * coutG + co) * outH + oh) * outW + ow] += v * w[((ci * coutG + co) * p.KH + kh) * p.KW + kw];
            }
        }
        return y;
    }

    /// <summary>
    /// The input gradient from its definition, with the sum of |terms| for the error bound:
    /// <c>dx[n, g*CinG + ci, h, w] = sum over co, kh, kw of w[co, ci, kh, kw] dy[n, co, oh, ow]</c>
    /// where <c>oh*s - p + kh*d = h</c> (likewise for w).
    /// </summary>
    public static (double[] Value, double[] Scale) InputGradient(Params p, float[] w, float[] dy)
    {
        int cinG = p.Cin / p.Groups, coutG = p.Cout / p.Groups;
        var value = new double[p.N * p.Cin * p.H * p.W];
        var scale = new double[value.Length];
        for (int n = 0; n < p.N; n++)
        for (int co = 0; co < p.Cout; co++)
        for (int oh = 0; oh < p.OutH; oh++)
        for (int ow = 0; ow < p.OutW; ow++)
        {
            double d = dy[((n * p.Cout + co) * p.OutH + oh) * p.OutW + ow];
            int g = co / coutG;
            for (int ci = 0; ci < cinG; ci++)
            for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int h = oh * p.SH - p.PH + kh * p.DH, ww = ow * p.SW - p.PW + kw * p.DW;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W)
                    continue;
                double term = w[((co * cinG + ci) * p.KH + kh) * p.KW + kw] * d;
                int at = ((n * p.Cin + g * cinG + ci) * p.H + h) * p.W + ww;
                value[at] += term;
                scale[at] += Math.Abs(term);
            }
        }
        return (value, scale);
    }

    /// <summary>
    /// The weight and bias gradients from their definitions, with the sums of |terms|:
    /// <c>dw[co, ci, kh, kw] = sum over n, oh, ow of dy[n, co, oh, ow] x[n, g*CinG + ci, oh*s - p + kh*d, ...]</c>;
    /// <c>db[co] = sum of dy[n, co]</c>.
    /// </summary>
    public static (double[] Dw, double[] DwScale, double[] Db, double[] DbScale) WeightGradient(Params p, float[] x, float[] dy)
    {
        int cinG = p.Cin / p.Groups, coutG = p.Cout / p.Groups;
        var dw = new double[p.Cout * cinG * p.KH * p.KW];
        var dwScale = new double[dw.Length];
        var db = new double[p.Cout];
        var dbScale = new double[p.Cout];
        for (int n = 0; n < p.N; n++)
        for (int co = 0; co < p.Cout; co++)
        for (int oh = 0; oh < p.OutH; oh++)
        for (int ow = 0; ow < p.OutW; ow++)
        {
            double d = dy[((n * p.Cout + co) * p.OutH + oh) * p.OutW + ow];
            db[co] += d;
            dbScale[co] += Math.Abs(d);
            int g = co / coutG;
            for (int ci = 0; ci < cinG; ci++)
            for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int h = oh * p.SH - p.PH + kh * p.DH, ww = ow * p.SW - p.PW + kw * p.DW;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W)
                    continue;
                double term = d * x[((n * p.Cin + g * cinG + ci) * p.H + h) * p.W + ww];
                int at = ((co * cinG + ci) * p.KH + kh) * p.KW + kw;
                dw[at] += term;
                dwScale[at] += Math.Abs(term);
            }
        }
        return (dw, dwScale, db, dbScale);
    }
}
