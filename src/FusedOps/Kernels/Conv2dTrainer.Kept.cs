namespace FusedOps.Kernels;

/// <content>
/// The forward's padded input kept for the backward's weight gradient when the batch's padded planes are small (cases B and C,
/// 0.6 and 0.9 MB): the backward then reads them instead of padding the input again, which read it back from L3 (every pass over
/// the batch since the forward evicted it): case C's backward 0.07 ms faster, case B's the 0.03 ms of its re-pad less the 0.02 ms
/// its forward pays to write a batch-sized buffer instead of the warm per-slot scratch. Larger batches keep padding into the slot:
/// a batch-sized padded copy at batch 64 (3.7 MB per 16-channel 28×28 layer) cost more than the re-pad it saved.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    /// <summary>Largest padded batch (bytes) the forward keeps for the backward: half a core's L2 on the machines measured.</summary>
    private const long KeptLimitBytes = 1L << 20;

    private float[]? _kept;
    private int _keptStart;

    // The Forward that filled the kept planes: its input array and batch size; a Backward on other ones pads again.
    private float[]? _keptInput;
    private int _keptN;

    // Floats between two samples' kept planes: the padded planes and their zero tail, to a whole cache line.
    private int KeptStride => RoundUp(_xpLength, 16);

    // Before a forward's parts run: whether this call keeps its padded planes, and the buffer (zeroed: the tails stay zero).
    private bool PrepareKept(int n)
    {
        _keptInput = null;
        long length = (long)n * KeptStride;
        if (length * sizeof(float) > KeptLimitBytes)
        {
            return false;
        }

        if (_kept is null || _kept.Length - _keptStart < length)
        {
            _kept = ConvParallel.AlignedScratch((int)length, out _keptStart);
        }

        return true;
    }

    // Sample s's kept padded planes.
    private ref float Kept(int s) => ref _kept![_keptStart + (s * KeptStride)];

    // Whether the backward on this input and batch can read the last forward's kept planes.
    private bool HasKept(float[] input, int n) => ReferenceEquals(_keptInput, input) && _keptN == n;
}
