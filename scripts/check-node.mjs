// Before npm test: the suite runs on the Node.js versions package.json's engines names (22.12 and
// later), where the AWS SDK prints no support warning into the outputs the tests read.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`npm test needs Node.js 22.12 or later; this is ${process.version}. Try: npx -p node@24 npm test`);
  process.exit(1);
}
