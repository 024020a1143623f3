/**
 * Words for the value types libvirt's grammar names (its `<define>`s that
 * hold a `<data>` pattern; other data in them, such as an integer range, is
 * described as usual), used where a value is described: completion
 * details, hover and schema messages. A regular expression such as
 * `(/|[a-zA-Z]:\\).+` tells a reader less than "an absolute file path";
 * types not listed here are described from their pattern (rng.ts).
 */
export const TYPE_WORDS: Readonly<Record<string, string>> = {
  absFilePath: 'an absolute file path',
  absDirPath: 'an absolute directory path',
  filePath: 'a file path',
  dirPath: 'a directory path',
  path: 'an absolute path',
  vmwarePath: 'a VMware datastore path ("[datastore] dir/file")',
  UUID: 'a UUID (32 hexadecimal digits, dashes allowed)',
  macAddr: 'a MAC address (52:54:00:xx:xx:xx)',
  mac: 'a MAC address',
  uniMacAddr: 'a unicast MAC address',
  multiMacAddr: 'a multicast MAC address',
  ipv4Addr: 'an IPv4 address',
  ipv6Addr: 'an IPv6 address',
  dnsName: 'a DNS name',
  cpuset: 'a CPU list such as 0-3,8,^2',
  unit: 'a size unit (KiB, MiB, GiB, bytes, ...)',
  uint8: 'a hexadecimal number from 0x0 to 0xff',
  uint16: 'a number of up to four hexadecimal digits',
  uint24: 'a hexadecimal number from 0x0 to 0xffffff',
  uint32: 'a number of up to eight hexadecimal digits',
  hexuint: 'a hexadecimal number',
  pciSlot: 'a slot number from 0x00 to 0x1f',
  pciFunc: 'a function number from 0x0 to 0x7',
  usbPort: 'a USB port path such as 1 or 1.2',
  usbAddr: 'a USB address',
  usbId: 'a USB vendor or product ID (up to four hexadecimal digits)',
  usbClass: 'a USB class code',
  diskTargetDev: 'a disk name such as vda, sda or hdc',
  deviceName: 'a device name',
  aliasName: 'an alias (letters, digits, _ - .)',
  genericName: 'a name (letters, digits, _ + -)',
  objectName: 'a name without / or line breaks',
  wwn: 'a World Wide Name (16 hexadecimal digits)',
  timeDelta: 'a number of seconds, with an optional sign',
  timeZone: 'a time zone name',
  diskSerial: 'a serial number (letters, digits, _ . + - and spaces)',
  IscsiQualifiedName: 'an iSCSI qualified name (iqn.yyyy-mm.domain:name)',
  driveController: 'a controller number',
  driveBus: 'a bus number',
  driveTarget: 'a target number',
  driveUnit: 'a unit number',
  octalMode: 'an octal permission mode',
};
