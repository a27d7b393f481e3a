using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// The elementwise passes of a training step (BatchNorm normalise and activation, their backward reductions and
/// input gradient, residual adds, max-pooling) split over samples with <see cref="ParallelWork"/>. Each part runs
/// the single-threaded kernel (<see cref="ActivationPass"/>, <see cref="Norm"/>, <see cref="Pooling"/>) on a
/// contiguous slice of the batch.
/// </summary>
/// <remarks>
/// The partition is a function of the shape only (<see cref="Parts"/>): a reduction sums each part's slice in
/// order into that part's partial sums, and the partials are added in part order, so the per-channel sums are
/// bitwise identical for any <see cref="KernelOptions.MaxDegreeOfParallelism"/>. One job per calling thread and
/// activation type, reused: nothing is allocated per call once a shape has been seen.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe partial class TrainingPasses
{
    /// <summary>Most parts a batch is cut into.</summary>
    public const int MaxParts = 8;

    // Below this many values per pass, splitting costs more than it saves (and the sums stay as one part's).
    private const long MinValuesPerThread = 32_768;

    /// <summary>Parts a pass over <paramref name="n"/> samples of <paramref name="valuesPerSample"/> values is cut into: a function of the shape only.</summary>
    public static int Parts(int n, long valuesPerSample) => n * valuesPerSample >= 2 * MinValuesPerThread ? Math.Min(n, MaxParts) : 1;

    /// <summary><see cref="ActivationPass.AffineForward"/> split over samples.</summary>
    public static void AffineForward<TAct>(TAct act, ref float z, ref float y, int n, int channels, int spatial, ref float scale, ref float shift)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * spatial);
        if (parts == 1)
        {
            ActivationPass.AffineForward(act, ref z, ref y, n, channels, spatial, ref scale, ref shift);
            return;
        }

        fixed (float* pz = &z, py = &y, ps = &scale, pt = &shift)
        {
            Job<TAct> job = Job<TAct>.Get(Kind.AffineForward, act, n, channels, spatial);
            job.Z = pz;
            job.Y = py;
            job.Scale = ps;
            job.Shift = pt;
            job.Run(parts);
        }
    }

    /// <summary><see cref="ActivationPass.AffineAddForward"/> split over samples.</summary>
    public static void AffineAddForward<TAct>(TAct act, ref float z, ref float r, ref float u, ref float y, int n, int channels, int spatial,
        ref float scale, ref float shift)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * spatial);
        if (parts == 1)
        {
            ActivationPass.AffineAddForward(act, ref z, ref r, ref u, ref y, n, channels, spatial, ref scale, ref shift);
            return;
        }

        fixed (float* pz = &z, pr = &r, pu = &u, py = &y, ps = &scale, pt = &shift)
        {
            Job<TAct> job = Job<TAct>.Get(Kind.AffineAddForward, act, n, channels, spatial);
            job.Z = pz;
            job.R = pr;
            job.U = pu;
            job.Y = py;
            job.Scale = ps;
            job.Shift = pt;
            job.Run(parts);
        }
    }

    /// <summary>
    /// <see cref="ActivationPass.BackwardReduce"/> split over samples: each part's Σ du and Σ du·x̂ per channel in its
    /// own partial sums, added to <paramref name="sumDu"/> and <paramref name="sumDuXhat"/> in part order.
    /// </summary>
    public static void BackwardReduce<TAct>(TAct act, ref float dy, ref float z, ref float du, int n, int channels, int spatial, ref float scale, ref float shift,
        ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * spatial);
        if (parts == 1)
        {
            ActivationPass.BackwardReduce(act, ref dy, ref z, ref du, n, channels, spatial, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);
            return;
        }

        Job<TAct> job = Job<TAct>.Get(Kind.BackwardReduce, act, n, channels, spatial);
        fixed (float* pdy = &dy, pz = &z, pdu = &du, ps = &scale, pt = &shift, pm = &mean, pi = &invStd)
        {
            job.Dy = pdy;
            job.Z = pz;
            job.U = pdu;
            job.SetNorm(ps, pt, pm, pi);
            job.Run(parts);
        }

        AddPartials(job.Partials, parts, channels, ref sumDu, ref sumDuXhat);
    }

    /// <summary>
    /// The backward of a residual group's end, sample by sample while each is in cache: du = act′(dy) at the pre-activation
    /// <paramref name="u"/>, added to the saved tensor's gradient <paramref name="save"/>, then BatchNorm's reductions on du
    /// (<see cref="ActivationPass.BackwardReduce"/> with the identity, du in place) — the three passes' arithmetic and
    /// summation order, in one sweep; split over samples as <see cref="BackwardReduce"/>.
    /// </summary>
    public static void AddBackwardReduce<TAct>(TAct act, ref float dy, ref float u, ref float save, ref float z, ref float du, int n, int channels, int spatial,
        ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator =>
        AddBackwardReduce(act, ref dy, ref u, ref save, false, ref z, ref du, n, channels, spatial, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);

    /// <summary>
    /// <see cref="AddBackwardReduce{TAct}(TAct, ref float, ref float, ref float, ref float, ref float, int, int, int, ref float, ref float, ref float, ref float, ref double, ref double)"/>;
    /// with <paramref name="overwrite"/> (the saved gradient's first writer) <paramref name="save"/> is set to 0 + du instead of added to, the
    /// bits of adding to a cleared buffer, so the buffer needs no clearing pass.
    /// </summary>
    public static void AddBackwardReduce<TAct>(TAct act, ref float dy, ref float u, ref float save, bool overwrite, ref float z, ref float du, int n, int channels,
        int spatial, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator =>
        AddBackwardReduce(act, ref dy, ref Unsafe.NullRef<int>(), default, ref u, ref save, overwrite, ref z, ref du, n, channels, spatial, ref scale, ref shift,
            ref mean, ref invStd, ref sumDu, ref sumDuXhat);

    /// <summary><see cref="Norm.BackwardApply"/> split over samples.</summary>
    public static void BackwardApply(ref float du, ref float z, int n, int channels, int spatial, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, ref float dz)
    {
        int parts = Parts(n, (long)channels * spatial);
        if (parts == 1)
        {
            Norm.BackwardApply(ref du, ref z, n, channels, spatial, gamma, mean, invStd, sumDu, sumDuXhat, count, ref dz);
            return;
        }

        Job<IdentityOperator> job = Job<IdentityOperator>.Get(Kind.BackwardApply, default, n, channels, spatial);
        fixed (float* pdu = &du, pz = &z, pdz = &dz, pg = gamma, pm = mean, pi = invStd)
        {
            fixed (double* pa = sumDu, pb = sumDuXhat)
            {
                job.U = pdu;
                job.Z = pz;
                job.Y = pdz;
                job.Scale = pg;
                job.Mean = pm;
                job.InvStd = pi;
                job.SumDu = pa;
                job.SumDuXhat = pb;
                job.GammaLength = gamma.Length;
                job.Count = count;
                job.Run(parts);
            }
        }
    }

    /// <summary><see cref="ActivationPass.Backward"/> over <c>n × length</c> values, split over samples.</summary>
    public static void Backward<TAct>(TAct act, ref float dy, ref float u, ref float dz, int n, int length)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, length);
        if (parts == 1)
        {
            ActivationPass.Backward(act, ref dy, ref u, ref dz, n * length);
            return;
        }

        fixed (float* pdy = &dy, pu = &u, pdz = &dz)
        {
            Job<TAct> job = Job<TAct>.Get(Kind.Backward, act, n, 1, length);
            job.Dy = pdy;
            job.U = pu;
            job.Y = pdz;
            job.Run(parts);
        }
    }

    /// <summary><see cref="ConvHelpers.Add"/> (destination += source) over <c>n × length</c> values, split over samples.</summary>
    public static void Add(ref float source, ref float destination, int n, int length)
    {
        int parts = Parts(n, length);
        if (parts == 1)
        {
            ConvHelpers.Add(ref source, ref destination, n * length);
            return;
        }

        fixed (float* ps = &source, pd = &destination)
        {
            Job<IdentityOperator> job = Job<IdentityOperator>.Get(Kind.Add, default, n, 1, length);
            job.Z = ps;
            job.Y = pd;
            job.Run(parts);
        }
    }

    /// <summary><see cref="Pooling.MaxForward"/> over <c>n × channels</c> planes, split over samples.</summary>
    public static void MaxForward(ref float x, ref float y, ref int argMax, int n, int channels, Pooling.Window g, bool save)
    {
        int parts = Parts(n, (long)channels * g.InPlane);
        if (parts == 1)
        {
            Pooling.MaxForward(ref x, ref y, ref argMax, n * channels, g, save);
            return;
        }

        fixed (float* px = &x, py = &y)
        {
            fixed (int* pa = &argMax)
            {
                Job<IdentityOperator> job = Job<IdentityOperator>.Get(save ? Kind.MaxForwardSave : Kind.MaxForward, default, n, channels, 0);
                job.Z = px;
                job.Y = py;
                job.ArgMax = pa;
                job.Window = g;
                job.Run(parts);
            }
        }
    }

    /// <summary><see cref="Pooling.MaxBackward"/> over <c>n × channels</c> planes, split over samples.</summary>
    public static void MaxBackward(ref float dy, ref int argMax, ref float dx, int n, int channels, Pooling.Window g)
    {
        int parts = Parts(n, (long)channels * g.InPlane);
        if (parts == 1)
        {
            Pooling.MaxBackward(ref dy, ref argMax, ref dx, n * channels, g);
            return;
        }

        fixed (float* pdy = &dy, pdx = &dx)
        {
            fixed (int* pa = &argMax)
            {
                Job<IdentityOperator> job = Job<IdentityOperator>.Get(Kind.MaxBackward, default, n, channels, 0);
                job.Dy = pdy;
                job.Y = pdx;
                job.ArgMax = pa;
                job.Window = g;
                job.Run(parts);
            }
        }
    }

    /// <summary>
    /// Adds per-sample reductions (<paramref name="perSample"/>: per sample, Σ du then Σ du·x̂ per channel, as
    /// <see cref="Conv2dTrainer.ReduceInputGradient"/> writes them) to <paramref name="sumDu"/> and <paramref name="sumDuXhat"/> in the
    /// order <see cref="BackwardSums"/> adds them (each part's samples in order from zero, then the parts in order), so from cleared sums
    /// the results are that pass's bits.
    /// </summary>
    public static void FinishSums(ReadOnlySpan<double> perSample, int n, int channels, int spatial, ref double sumDu, ref double sumDuXhat)
    {
        if (perSample.Length < (long)n * 2 * channels)
        {
            throw new ArgumentException($"perSample needs {(long)n * 2 * channels} values (n × 2 × channels), but has {perSample.Length}.", nameof(perSample));
        }

        int parts = Parts(n, (long)channels * spatial);
        for (int c = 0; c < channels; c++)
        {
            double a = 0, b = 0;
            for (int p = 0; p < parts; p++)
            {
                (int s0, int s1) = ParallelWork.Slice(n, parts, p);
                double pa = 0, pb = 0;
                for (int s = s0; s < s1; s++)
                {
                    pa += perSample[(2 * s * channels) + c];
                    pb += perSample[(((2 * s) + 1) * channels) + c];
                }

                a += pa;
                b += pb;
            }

            Unsafe.Add(ref sumDu, c) += a;
            Unsafe.Add(ref sumDuXhat, c) += b;
        }
    }

    private static void AddPartials(double[] partials, int parts, int channels, ref double sumDu, ref double sumDuXhat)
    {
        for (int c = 0; c < channels; c++)
        {
            double a = 0, b = 0;
            for (int p = 0; p < parts; p++)
            {
                a += partials[(2 * p * channels) + c];
                b += partials[(((2 * p) + 1) * channels) + c];
            }

            Unsafe.Add(ref sumDu, c) += a;
            Unsafe.Add(ref sumDuXhat, c) += b;
        }
    }
}
