using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>The scalar path of <see cref="WinogradConv"/>: the same buffers and the same order as the vector path.</summary>
public static unsafe partial class WinogradConv
{
    // V[ξ][c][tile] = Bᵀ d B for every tile of row ty, Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
    private static void InputRowScalar(in Call run, int ty)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, len = run.Shape.RowLength, step = run.VStep;
        float* d = stackalloc float[16];
        for (int c = 0; c < cin; c++)
        {
            CopyRows(in run, ty, c);
            float* v = run.V + ((nint)c * run.TilePad);
            for (int t = 0; t < tiles; t++)
            {
                for (int s = 0; s < 4; s++)
                {
                    float r0 = run.Rows[(2 * t) + s], r1 = run.Rows[len + (2 * t) + s], r2 = run.Rows[(2 * len) + (2 * t) + s], r3 = run.Rows[(3 * len) + (2 * t) + s];
                    d[s] = r0 - r2;
                    d[4 + s] = r1 + r2;
                    d[8 + s] = r2 - r1;
                    d[12 + s] = r1 - r3;
                }

                for (int i = 0; i < 4; i++)
                {
                    float e0 = d[4 * i], e1 = d[(4 * i) + 1], e2 = d[(4 * i) + 2], e3 = d[(4 * i) + 3];
                    v[((nint)((4 * i) + 0) * step) + t] = e0 - e2;
                    v[((nint)((4 * i) + 1) * step) + t] = e1 + e2;
                    v[((nint)((4 * i) + 2) * step) + t] = e2 - e1;
                    v[((nint)((4 * i) + 3) * step) + t] = e1 - e3;
                }
            }
        }
    }

    // M[ξ][tile][o] = Σ_c V[ξ][c][tile] · U[ξ][c][o], the channels summed in order.
    private static void ProductsScalar(in Call run)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int xi = 0; xi < 16; xi++)
        {
            float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad);
            for (int t = 0; t < tiles; t++)
            {
                float* m = run.M + ((nint)xi * run.MStep) + ((nint)t * pad);
                for (int o = 0; o < pad; o++)
                {
                    float sum = 0;
                    for (int c = 0; c < cin; c++)
                    {
                        sum = Simd.Fma(v[((nint)c * tp) + t], u[((nint)c * pad) + o], sum);
                    }

                    m[o] = sum;
                }
            }
        }
    }

    // Y = Aᵀ M A, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], then the epilogue, into the stage's two rows.
    private static void OutputRowScalar<TAct>(TAct act, in Call run)
        where TAct : struct, IActivationOperator
    {
        int tiles = run.Shape.TileColumns, pad = run.Shape.OutPad;
        float* m = stackalloc float[16];
        for (int t = 0; t < tiles; t++)
        {
            for (int o = 0; o < pad; o++)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    m[xi] = run.M[((nint)xi * run.MStep) + ((nint)t * pad) + o];
                }

                float s0 = m[0] + m[4] + m[8], s1 = m[1] + m[5] + m[9], s2 = m[2] + m[6] + m[10], s3 = m[3] + m[7] + m[11];
                float d0 = m[4] - m[8] - m[12], d1 = m[5] - m[9] - m[13], d2 = m[6] - m[10] - m[14], d3 = m[7] - m[11] - m[15];
                float a = run.Scale[o], b = run.Shift[o];
                float* at = run.Stage + ((nint)(2 * t) * pad) + o;
                float* below = at + ((nint)run.Pixels * pad);
                at[0] = Epilogue(act, s0 + s1 + s2, a, b);
                at[pad] = Epilogue(act, s1 - s2 - s3, a, b);
                below[0] = Epilogue(act, d0 + d1 + d2, a, b);
                below[pad] = Epilogue(act, d1 - d2 - d3, a, b);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Epilogue<TAct>(TAct act, float y, float scale, float shift)
        where TAct : struct, IActivationOperator => act.Invoke(Simd.Fma(y, scale, shift));
}
