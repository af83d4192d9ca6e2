using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Xml;

namespace OfficeRnD.Auth.Tests
{
    public static class PackageTests
    {
        private static string Nupkg()
        {
            var path = Environment.GetEnvironmentVariable("OFFICERND_DOTNET_NUPKG");
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
                throw new Exception("OFFICERND_DOTNET_NUPKG does not name the built package (make pack-dotnet): " + path);
            return path;
        }

        [Test]
        public static void NupkgHasTheLinuxX64Layout()
        {
            using (var zip = new ZipArchive(File.OpenRead(Nupkg()), ZipArchiveMode.Read))
            {
                var names = zip.Entries.Select(e => e.FullName).OrderBy(n => n, StringComparer.Ordinal).ToList();
                var expected = new[]
                {
                    "LICENSE.txt", "OfficeRnD.Auth.nuspec", "README.md", "[Content_Types].xml",
                    "lib/netstandard2.0/OfficeRnD.Auth.dll", "lib/netstandard2.0/OfficeRnD.Auth.xml",
                    "runtimes/linux-x64/native/libofficernd_auth.so",
                };
                foreach (var n in expected) Assert.True(names.Contains(n), "the package holds " + n + ": " + string.Join(", ", names));
                Assert.Equal(expected.Length, names.Count(n => !n.EndsWith("/")), "nothing else: " + string.Join(", ", names));

                var nuspec = Read(zip, "OfficeRnD.Auth.nuspec");
                Assert.True(nuspec.Contains("<id>OfficeRnD.Auth</id>"), "nuspec id");
                Assert.True(nuspec.Contains("<version>" + TokenClient.NativeVersion + "</version>"), "nuspec version = library version");
                Assert.Equal(TokenClient.NativeVersion + ".0", typeof(TokenClient).Assembly.GetName().Version.ToString(), "assembly version");
                Assert.True(nuspec.Contains("targetFramework=\".NETStandard2.0\""), "netstandard2.0 group");
                Assert.True(nuspec.Contains("<readme>README.md</readme>"), "readme");
                Assert.True(!nuspec.Contains("<files>"), "no <files> list in the packed nuspec");

                var so = Bytes(zip, "runtimes/linux-x64/native/libofficernd_auth.so");
                Assert.True(so.Length > 4 && so[0] == 0x7f && so[1] == (byte)'E' && so[2] == (byte)'L' && so[3] == (byte)'F', "an ELF library");
                var dll = Bytes(zip, "lib/netstandard2.0/OfficeRnD.Auth.dll");
                var loaded = typeof(TokenClient).Assembly.Location;
                Assert.True(dll.SequenceEqual(File.ReadAllBytes(loaded)), "the assembly under test is the packed one");
            }
        }

        [Test]
        public static void ReleaseProjectAndNuspecListEveryRuntime()
        {
            var dir = Environment.GetEnvironmentVariable("OFFICERND_DOTNET_DIR");
            if (string.IsNullOrEmpty(dir)) throw new Exception("OFFICERND_DOTNET_DIR is not set (make test-dotnet sets it)");
            var nuspec = new XmlDocument();
            nuspec.Load(Path.Combine(dir, "OfficeRnD.Auth.nuspec"));
            var targets = nuspec.GetElementsByTagName("file").Cast<XmlElement>().Select(f => f.GetAttribute("target")).ToList();
            foreach (var rid in new[] { "linux-x64", "linux-musl-x64", "linux-arm64", "win-x64", "osx-arm64", "osx-x64" })
                Assert.True(targets.Contains("runtimes/" + rid + "/native"), "the nuspec ships runtimes/" + rid + "/native");
            Assert.True(targets.Contains("lib/netstandard2.0"), "the nuspec ships lib/netstandard2.0");
            var csproj = new XmlDocument();
            csproj.Load(Path.Combine(dir, "src/OfficeRnD.Auth/OfficeRnD.Auth.csproj"));
            Assert.Equal("Microsoft.NET.Sdk", csproj.DocumentElement.GetAttribute("Sdk"), "an SDK-style project");
            Assert.Equal("netstandard2.0", csproj.GetElementsByTagName("TargetFramework")[0].InnerText, "target framework");
            Assert.Equal("../../OfficeRnD.Auth.nuspec", csproj.GetElementsByTagName("NuspecFile")[0].InnerText, "packs from the nuspec");
            // The projects that consume the package (the example, and the suite as the release
            // workflow builds it) ask for the version the nuspec packs.
            var version = nuspec.GetElementsByTagName("version")[0].InnerText;
            foreach (var consumer in new[] { "../examples/dotnet/FetchToken.csproj", "tests/OfficeRnD.Auth.Tests.csproj" })
            {
                var project = new XmlDocument();
                project.Load(Path.Combine(dir, consumer));
                var reference = project.GetElementsByTagName("PackageReference").Cast<XmlElement>()
                    .Single(r => r.GetAttribute("Include") == "OfficeRnD.Auth");
                Assert.Equal(version, reference.GetAttribute("Version"), consumer + " references the packed version");
            }
        }

        private static byte[] Bytes(ZipArchive zip, string name)
        {
            using (var s = zip.GetEntry(name).Open())
            using (var m = new MemoryStream())
            {
                s.CopyTo(m);
                return m.ToArray();
            }
        }

        private static string Read(ZipArchive zip, string name) { return Encoding.UTF8.GetString(Bytes(zip, name)); }
    }
}
