/**
 * Rule family `features`: firmware and platform features that libvirt's
 * QEMU driver refuses in combination, before anything starts: ACPI without
 * UEFI on aarch64, UEFI without ACPI on x86, and Hyper-V enlightenments
 * without the ones they depend on. The facts (which architecture, which
 * dependency) are domain/guestFeatures.ts's.
 */
import type { XmlElement } from '../xml/nodes';
import { attr } from '../xml/query';
import { acpiNeedsUefi, readGuestFirmware, uefiNeedsAcpi, unmetHypervDependencies } from '../domain/guestFeatures';
import { forQemuDriver } from '../domain/machine';
import type { RelatedSpan, RuleContext, RuleFamily } from './types';
import { elementNameSpan, valueSpan } from './spans';
import { report } from './report';

export const featureRules: RuleFamily = {
  name: 'features',
  run(ctx) {
    if (!forQemuDriver(ctx.model)) return;
    checkAcpiUefi(ctx);
    checkHyperv(ctx);
  },
};

function archRelated(ctx: RuleContext): RelatedSpan[] | undefined {
  const a = ctx.model.arch;
  return a ? [{ ...valueSpan(a), message: 'the guest architecture' }] : undefined;
}

function checkAcpiUefi(ctx: RuleContext): void {
  const arch = ctx.model.arch?.value;
  const fw = readGuestFirmware(ctx.model);
  if (fw.acpi && !fw.uefi && acpiNeedsUefi(arch)) {
    const loaderType = fw.loader ? (attr(fw.loader, 'type')?.value ?? 'rom') : undefined;
    const why = loaderType ? `its <loader> is of type '${loaderType}', not pflash` : 'it has no UEFI firmware';
    report(
      ctx,
      'features-acpi-without-uefi',
      elementNameSpan(fw.acpi),
      `<acpi/> on an ${arch} guest needs UEFI, and ${why}: libvirt refuses the domain ("ACPI requires UEFI on this architecture"). Add firmware='efi' to <os>, or remove <acpi/> (the guest then describes its devices with a device tree).`,
      { related: archRelated(ctx), data: { arch } },
    );
  }
  if (fw.uefi && !fw.acpi && uefiNeedsAcpi(arch)) {
    const at = fw.firmwareAttr?.value === 'efi' ? valueSpan(fw.firmwareAttr) : elementNameSpan(fw.loader!);
    const what = fw.firmwareAttr?.value === 'efi' ? "firmware='efi'" : "<loader type='pflash'>";
    report(
      ctx,
      'features-uefi-without-acpi',
      at,
      `${what} boots UEFI, and UEFI on an ${arch} guest needs ACPI, which <features> does not turn on: libvirt refuses the domain ("UEFI requires ACPI on this architecture"). Add <acpi/> to <features>.`,
      { related: archRelated(ctx), data: { arch } },
    );
  }
}

function checkHyperv(ctx: RuleContext): void {
  for (const u of unmetHypervDependencies(ctx.model)) {
    const { dep } = u;
    const needs = dep.needs.kind === 'hyperv' ? `the '${dep.needs.name}' feature` : `the '${dep.needs.name}' timer`;
    const write = dep.needs.kind === 'hyperv' ? `<${dep.needs.name} state='on'/> to <hyperv>` : `<timer name='${dep.needs.name}' present='yes'/> to <clock>`;
    const off = u.off ? ` (it is written, but not ${dep.needs.kind === 'hyperv' ? "state='on'" : "present='yes'"})` : '';
    const name = dep.sub ? `<${dep.feature}><${dep.sub}>` : `<${dep.feature}>`;
    const offEl: XmlElement | undefined = u.off;
    report(
      ctx,
      'features-hyperv-dependency',
      elementNameSpan(u.el),
      `Hyper-V ${name} needs ${needs}${off}: libvirt refuses the domain ("'${dep.libvirtName}' hyperv feature requires ${needs.replace(/^the /, '')}"). Add ${write}, or switch ${name} off.`,
      {
        related: offEl ? [{ ...elementNameSpan(offEl), message: `the '${dep.needs.name}' ${dep.needs.kind === 'hyperv' ? 'feature' : 'timer'}, not on` }] : undefined,
        data: { feature: dep.libvirtName, needs: dep.needs.name },
      },
    );
  }
}
