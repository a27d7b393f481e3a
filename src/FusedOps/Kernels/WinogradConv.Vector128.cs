using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector128 products of <see cref="WinogradConv"/> (SSE on x64, AdvSimd on ARM64: <see cref="KernelDispatch.RuntimeBits"/> 128,
/// <see cref="KernelDispatch.Level"/> 0): output channels in the lanes, 8 in two vectors; the transforms are the scalar path's,
/// the channels summed in the same order, so the scalar path's bits wherever the hardware fuses the multiply-add.
/// </summary>
public static unsafe partial class WinogradConv
{
    // M[ξ] = V[ξ]ᵀ U[ξ] in strips of up to 4 tiles × 8 output channels (8 accumulators of x64's 16 xmm registers), ξ outermost.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Products128(in Call run)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int xi = 0; xi < 16; xi++)
        {
            float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad), m = run.M + ((nint)xi * run.MStep);
            for (int o = 0; o < pad; o += 8)
            {
                for (int t0 = 0; t0 < tiles; t0 += 4)
                {
                    int n = tiles - t0 < 4 ? tiles - t0 : 4;
                    Vector128<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
                    float* vt = v + t0, wk = u + o;
                    for (int c = 0; c < cin; c++, vt += tp, wk += pad)
                    {
                        Vector128<float> w0 = Vector128.Load(wk), w1 = Vector128.Load(wk + 4), b = Vector128.Create(vt[0]);
                        a00 = Simd.Fma(b, w0, a00); a01 = Simd.Fma(b, w1, a01);
                        if (n > 1)
                        {
                            b = Vector128.Create(vt[1]);
                            a10 = Simd.Fma(b, w0, a10); a11 = Simd.Fma(b, w1, a11);
                        }

                        if (n > 2)
                        {
                            b = Vector128.Create(vt[2]);
                            a20 = Simd.Fma(b, w0, a20); a21 = Simd.Fma(b, w1, a21);
                        }

                        if (n > 3)
                        {
                            b = Vector128.Create(vt[3]);
                            a30 = Simd.Fma(b, w0, a30); a31 = Simd.Fma(b, w1, a31);
                        }
                    }

                    float* mt = m + ((nint)t0 * pad) + o;
                    Vector128.Store(a00, mt); Vector128.Store(a01, mt + 4);
                    if (n > 1) { Vector128.Store(a10, mt + pad); Vector128.Store(a11, mt + pad + 4); }
                    if (n > 2) { Vector128.Store(a20, mt + (2 * pad)); Vector128.Store(a21, mt + (2 * pad) + 4); }
                    if (n > 3) { Vector128.Store(a30, mt + (3 * pad)); Vector128.Store(a31, mt + (3 * pad) + 4); }
                }
            }
        }
    }
}
