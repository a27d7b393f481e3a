using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// A MaxPool2d's backward run in the reduction pass of the residual group before it (the pool in that group's normalise pass,
/// TrainingNormFusion): the pool's input gradient (a batch-sized tensor, four times the pooled one) is formed per sample in a
/// part's scratch and read there, never stored. Each sample runs <see cref="Pooling.MaxBackward"/> and then the pass's own sweep
/// on its output, so the results are the same bits as the two passes.
/// </content>
public static unsafe partial class TrainingPasses
{
    /// <summary>
    /// <see cref="AddBackwardReduce{TAct}(TAct, ref float, ref float, ref float, bool, ref float, ref float, int, int, int, ref float, ref float, ref float, ref float, ref double, ref double)"/>
    /// whose dY is the input gradient of MaxPool2d(<paramref name="g"/>): <paramref name="pooledDy"/> is the pool's output gradient
    /// (<c>n × channels × g.OutPlane</c>) and <paramref name="argMax"/> its forward's arg-max, each window's index in its input plane.
    /// </summary>
    public static void PoolAddBackwardReduce<TAct>(TAct act, ref float pooledDy, ref int argMax, Pooling.Window g, ref float u, ref float save, bool overwrite,
        ref float z, ref float du, int n, int channels, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu,
        ref double sumDuXhat)
        where TAct : struct, IActivationOperator =>
        AddBackwardReduce(act, ref pooledDy, ref argMax, g, ref u, ref save, overwrite, ref z, ref du, n, channels, g.InPlane, ref scale, ref shift, ref mean,
            ref invStd, ref sumDu, ref sumDuXhat);

    /// <summary>
    /// <see cref="BackwardSums"/> whose dY is the input gradient of MaxPool2d(<paramref name="g"/>), formed per channel plane in a part's scratch
    /// from the pooled gradient <paramref name="pooledDy"/> and the forward's <paramref name="argMax"/>: the bits of
    /// <see cref="MaxBackward"/> then <see cref="BackwardSums"/>, without the full-size gradient stored and read back. For a conv whose
    /// backward forms it again as it reads it (<see cref="Conv2dTrainer.PooledNormBackward"/>).
    /// </summary>
    public static void PoolBackwardSums<TAct>(TAct act, ref float pooledDy, ref int argMax, Pooling.Window g, ref float z, int n, int channels, ref float scale,
        ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * g.InPlane);
        Job<TAct> job = Job<TAct>.Get(Kind.PoolBackwardSums, act, n, channels, g.InPlane);
        fixed (float* pdy = &pooledDy, pz = &z, ps = &scale, pt = &shift, pm = &mean, pi = &invStd)
        fixed (int* pa = &argMax)
        {
            job.Dy = pdy;
            job.ArgMax = pa;
            job.Window = g;
            job.Z = pz;
            job.SetNorm(ps, pt, pm, pi);
            job.RunSums(parts, ref sumDu, ref sumDuXhat);
        }
    }

    // AddBackwardReduce; with an arg-max (not a null ref), dY is the pooled gradient of window g.
    private static void AddBackwardReduce<TAct>(TAct act, ref float dy, ref int argMax, Pooling.Window g, ref float u, ref float save, bool overwrite,
        ref float z, ref float du, int n, int channels, int spatial, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu,
        ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        int parts = Parts(n, (long)channels * spatial);
        Job<TAct> job = Job<TAct>.Get(Kind.AddBackwardReduce, act, n, channels, spatial);
        fixed (float* pdy = &dy, pu = &u, psave = &save, pz = &z, pdu = &du, ps = &scale, pt = &shift, pm = &mean, pi = &invStd)
        fixed (int* pa = &argMax)
        {
            job.Dy = pdy;
            job.ArgMax = pa;
            job.Window = g;
            job.R = pu;
            job.Y = psave;
            job.Z = pz;
            job.U = pdu;
            job.Overwrite = overwrite;
            job.SetNorm(ps, pt, pm, pi);
            if (parts == 1)
            {
                job.AddBackwardReduce(0, 0, n, ref sumDu, ref sumDuXhat);
                job.Run(0);
                return;
            }

            job.Run(parts);
        }

        AddPartials(job.Partials, parts, channels, ref sumDu, ref sumDuXhat);
    }
}
