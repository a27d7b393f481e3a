using Xunit;

namespace FusedOps.Package.Tests;

/// <summary>
/// Every package test runs dotnet pack / build / publish on the same projects, so they run one at a
/// time and share one packed package (<see cref="PackageFixture"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageCollection : ICollectionFixture<PackageFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Package";
}
