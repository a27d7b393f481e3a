using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// A residual group whose saved tensor is itself recomputed from its group's z (<see cref="AffineAddNormPoolForward{TAct, TRes}(TAct, ref float, TRes, ref float, ref float, ref float, ref float, ref float, ref int, int, int, ref float, ref float, Pooling.Window)"/>)
/// need not store its sum u = z·scale + shift + r for the backward either: the backward's one-sweep reduction recomputes it from z and
/// the saved group's z, which that pass reads in place of u (z it reads anyway for x̂). The batch-sized store of u (3.2 MB per step for
/// the Fashion-MNIST sample) is gone; the backward reads as much as before. For ReLU and the identity u is formed inline per value in
/// the reduction's loop (a first version recomputed it per sample into a scratch with the forward's calls, and those two extra sweeps
/// cost more than the store they saved); other activations take the forward's calls per sample (<see cref="ActivationPass.AffineForward"/>,
/// then <see cref="ActivationPass.AffineAddForward"/>). Either way each value takes the forward's operations, so u is the same bits, and
/// so is everything computed from it.
/// </content>
public static unsafe partial class TrainingPasses
{
    /// <summary>
    /// <see cref="AffineAddNormPoolForward{TAct, TRes}(TAct, ref float, TRes, ref float, ref float, ref float, ref float, ref float, ref int, int, int, ref float, ref float, Pooling.Window)"/>
    /// without storing u: for a backward that recomputes it (<see cref="PoolAddNormBackwardReduce"/>).
    /// </summary>
    public static void AffineAddNormPoolForward<TAct, TRes>(TAct act, ref float z, TRes residualAct, ref float residualZ, ref float residualScale,
        ref float residualShift, ref float pooled, ref int argMax, int n, int channels, ref float scale, ref float shift, Pooling.Window g)
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator =>
        AffineAddNormPoolForward(act, ref z, residualAct, ref residualZ, ref residualScale, ref residualShift, ref Unsafe.NullRef<float>(), ref pooled,
            ref argMax, n, channels, ref scale, ref shift, g);

    /// <summary>
    /// <see cref="PoolAddBackwardReduce"/> whose u was not stored by the forward
    /// (<see cref="AffineAddNormPoolForward{TAct, TRes}(TAct, ref float, TRes, ref float, ref float, ref float, ref float, ref float, ref int, int, int, ref float, ref float, Pooling.Window)"/>):
    /// per sample, u = z·<paramref name="scale"/> + <paramref name="shift"/> + residualAct(residualZ·residualScale + residualShift) is
    /// recomputed in the part's scratch, as the forward computed it, and the pass reads it there.
    /// </summary>
    public static void PoolAddNormBackwardReduce<TAct, TRes>(TAct act, ref float pooledDy, ref int argMax, Pooling.Window g, TRes residualAct,
        ref float residualZ, ref float residualScale, ref float residualShift, ref float save, bool overwrite, ref float z, ref float du, int n,
        int channels, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator
    {
        ResidualSum<TAct, TRes> sum = ResidualSum<TAct, TRes>.Get(act, residualAct);
        fixed (float* prz = &residualZ, prs = &residualScale, prt = &residualShift)
        {
            sum.RZ = prz;
            sum.RScale = prs;
            sum.RShift = prt;
            Job<TAct> job = Job<TAct>.Get(Kind.AddBackwardReduce, act, n, channels, g.InPlane);
            job.Sum = sum;
            try
            {
                AddBackwardReduce(act, ref pooledDy, ref argMax, g, ref Unsafe.NullRef<float>(), ref save, overwrite, ref z, ref du, n, channels, g.InPlane,
                    ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);
            }
            finally
            {
                job.Sum = null;
                sum.RZ = sum.RScale = sum.RShift = null;
            }
        }
    }

    // Recomputes one sample's residual sum u for the backward (the caller pins the residual group's arrays for the call).
    private abstract class ResidualSum
    {
        public float* RZ, RScale, RShift;

        // AddReducePlanes with u recomputed inline per value (ReLU and the identity, FusesAddReduce): no pass over a scratch. dy is the
        // sample's or one plane's (the pooled input gradient in a scratch); the other arrays are the batch's, at offset o.
        // Channels first … first + channels − 1 of the sample: o, scale, shift, mean, invStd and the sums start at channel `first`, dy at its plane.
        public abstract void ReducePlanes(float* dy, long o, float* save, bool overwrite, float* z, float* du, int first, int channels, int spatial,
            float* scale, float* shift, float* mean, float* invStd, ref double sumDu, ref double sumDuXhat);

        // Sample s's u into scratch[length …) (scratch[0 … length) takes the residual and then act(u), unused), from z (the
        // group's z at sample s), scale and shift; returns where u is.
        public abstract float* Compute(long o, float* z, float* scale, float* shift, float* scratch, int channels, int spatial);
    }

    private sealed class ResidualSum<TAct, TRes> : ResidualSum
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator
    {
        [System.ThreadStatic]
        private static ResidualSum<TAct, TRes>? t_sum;

        private TAct _act;
        private TRes _residualAct;

        public static ResidualSum<TAct, TRes> Get(TAct act, TRes residualAct)
        {
            ResidualSum<TAct, TRes> sum = t_sum ??= new ResidualSum<TAct, TRes>();
            (sum._act, sum._residualAct) = (act, residualAct);
            return sum;
        }

        // AddReducePlanes (the arithmetic and summation order of its loop, term for term) on sample o with u = z·scale + shift +
        // residualAct(rz·rscale + rshift) formed per value, as ActivationPass.AffineForward and AffineAddForward form it (elementwise: the
        // same value at every width).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void ReducePlanes(float* dy, long o, float* save, bool overwrite, float* z, float* du, int first, int channels, int spatial,
            float* scale, float* shift, float* mean, float* invStd, ref double sumDu, ref double sumDuXhat)
        {
            bool vector = KernelDispatch.Level >= 1 && spatial >= 8, narrow = KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && spatial >= 4;
            TAct act = _act;
            TRes res = _residualAct;
            save += o;
            z += o;
            du += o;
            float* rz = RZ + o;
            for (int c = 0; c < channels; c++)
            {
                long p = (long)c * spatial;
                float mu = mean[c], inv = invStd[c], s = scale[c], t = shift[c], rs = RScale[first + c], rt = RShift[first + c];
                double a = 0, b = 0;
                int i = 0;
                if (vector)
                {
                    Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv), vs = Vector256.Create(s), vt = Vector256.Create(t);
                    Vector256<float> vrs = Vector256.Create(rs), vrt = Vector256.Create(rt), va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
                    for (; i <= spatial - 8; i += 8)
                    {
                        long k = p + i;
                        Prefetch.Line(ref z[k]);
                        Prefetch.Line(ref rz[k]);
                        Vector256<float> zv = Vector256.Load(z + k);
                        Vector256<float> u = (zv * vs) + vt + res.Invoke((Vector256.Load(rz + k) * vrs) + vrt);
                        Vector256<float> g = act.Backward(Vector256.Load(dy + k), u);
                        ((overwrite ? Vector256<float>.Zero : Vector256.Load(save + k)) + g).Store(save + k);
                        g.Store(du + k);
                        va += g;
                        vb += g * ((zv - vmu) * vinv);
                    }

                    a = Vector256.Sum(va);
                    b = Vector256.Sum(vb);
                }
                else if (narrow)
                {
                    Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t), vrs = Vector128.Create(rs), vrt = Vector128.Create(rt);
                    var sums = new NormSums128(mu, inv);
                    for (; i <= spatial - 4; i += 4)
                    {
                        long k = p + i;
                        Vector128<float> zv = Vector128.Load(z + k);
                        Vector128<float> u = (zv * vs) + vt + res.Invoke((Vector128.Load(rz + k) * vrs) + vrt);
                        Vector128<float> g = act.Backward(Vector128.Load(dy + k), u);
                        ((overwrite ? Vector128<float>.Zero : Vector128.Load(save + k)) + g).Store(save + k);
                        g.Store(du + k);
                        sums.Add(g, zv);
                    }

                    (a, b) = sums.Totals;
                }

                for (; i < spatial; i++)
                {
                    long k = p + i;
                    float u = (z[k] * s) + t + res.Invoke((rz[k] * rs) + rt);
                    float g = act.Backward(dy[k], u);
                    save[k] = (overwrite ? 0f : save[k]) + g;
                    du[k] = g;
                    a += g;
                    b += (double)g * ((z[k] - mu) * inv);
                }

                Unsafe.Add(ref sumDu, c) += a;
                Unsafe.Add(ref sumDuXhat, c) += b;
            }
        }

        public override float* Compute(long o, float* z, float* scale, float* shift, float* scratch, int channels, int spatial)
        {
            float* u = scratch + ((long)channels * spatial);
            // NormJob's forward, value for value: the residual act(rz·rscale + rshift), then u = z·scale + shift + r (act(u) over r).
            ActivationPass.AffineForward(_residualAct, ref RZ[o], ref *scratch, 1, channels, spatial, ref *RScale, ref *RShift);
            ActivationPass.AffineAddForward(_act, ref z[o], ref *scratch, ref *u, ref *scratch, 1, channels, spatial, ref *scale, ref *shift);
            return u;
        }
    }
}
