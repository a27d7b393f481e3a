using Xunit;

namespace FusedOps.Tests;

/// <summary>Tests that change <see cref="KernelOptions.MaxVectorBits"/> (process-wide) run one at a time.</summary>
[CollectionDefinition("KernelLevel", DisableParallelization = true)]
public sealed class KernelLevelCollection
{
}
