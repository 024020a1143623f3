/**
 * smmu-map-no-iommufd: an assigned device behind an accelerated vSMMU must
 * use the iommufd backend (QEMU refuses legacy VFIO there). Two fixes: turn
 * it on for the one device, or for the whole domain.
 *
 * `ensureIommufd` is also used by the fixes that move devices behind an
 * accelerated vSMMU, so that a move never trades one warning for another.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver-types';
import type { Hostdev } from '../../domain/model';
import { FEATURE_SINCE } from '../../domain/catalog';
import { hostdevUsesIommufd } from '../../domain/smmuMapping';
import { attr, attrValue } from '../../xml/query';
import { EditBuilder, attrText, insertFirstChild, makeAction, setAttribute, versionAllows, type FixContext } from './edits';
import { indentBefore } from '../documentStyle';
import { hostdevOf, type CodeDiagnostic } from './lookup';

/** `<driver iommufd='yes'/>` on a hostdev. */
export const IOMMUFD_HOSTDEV_SINCE = FEATURE_SINCE.hostdevIommufd.since;
/** Domain-level `<iommufd enabled='yes'/>`. */
export const IOMMUFD_DOMAIN_SINCE = FEATURE_SINCE.domainIommufd.since;

/** Adds `iommufd='yes'` to the hostdev (or a `<driver>` carrying it); false when the target libvirt is too old. */
export function ensureIommufd(ctx: FixContext, b: EditBuilder, hostdev: Hostdev): boolean {
  if (hostdevUsesIommufd(ctx.model, hostdev)) return true;
  if (!versionAllows(ctx, IOMMUFD_HOSTDEV_SINCE)) return false;
  if (hostdev.driver) return setAttribute(ctx, b, hostdev.driver, 'iommufd', 'yes');
  return insertFirstChild(ctx, b, hostdev.el, {
    name: 'driver',
    attrs: [
      ['name', 'vfio'],
      ['iommufd', 'yes'],
    ],
  });
}

export function iommufdFixes(ctx: FixContext, d: CodeDiagnostic<'smmu-map-no-iommufd'>): CodeAction[] {
  const found = hostdevOf(ctx, d);
  if (!found) return [];
  const { hostdev } = found;
  const out: CodeAction[] = [];

  const one = new EditBuilder();
  if (!hostdevUsesIommufd(ctx.model, hostdev) && ensureIommufd(ctx, one, hostdev)) {
    const a = makeAction(ctx, 'Use the iommufd backend for this device', CodeActionKind.QuickFix, [d], one, true);
    if (a) out.push(a);
  }

  // The domain default does not reach a device that opts out with iommufd='no'.
  if (attrValue(hostdev.driver, 'iommufd') !== 'no' && versionAllows(ctx, IOMMUFD_DOMAIN_SINCE)) {
    const all = new EditBuilder();
    if (enableForDomain(ctx, all)) {
      const a = makeAction(ctx, 'Enable iommufd for the whole domain', CodeActionKind.QuickFix, [d], all);
      if (a) out.push(a);
    }
  }
  return out;
}

/** Sets `<iommufd enabled='yes'/>`, inserting it just before `<devices>` at the same indentation. */
function enableForDomain(ctx: FixContext, b: EditBuilder): boolean {
  const { model } = ctx;
  if (model.iommufd) {
    if (attr(model.iommufd, 'enabled')?.value === 'yes') return false;
    return setAttribute(ctx, b, model.iommufd, 'enabled', 'yes');
  }
  const devices = model.devices;
  if (!devices) return false;
  const element = `<iommufd ${attrText('enabled', 'yes', ctx.style)}/>`;
  const indent = indentBefore(ctx.text, devices.start);
  b.insert(devices.start, indent === undefined ? element : element + ctx.style.nl + indent);
  return true;
}
