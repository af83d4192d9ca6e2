using System.Reflection;

[assembly: AssemblyTitle("OfficeRnD.Auth")]
[assembly: AssemblyDescription("OfficeRnD OAuth 2.0 client-credentials token client over libofficernd_auth")]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: AssemblyInformationalVersion("0.1.0")]
