"use client";
// One wizard for both kinds: source → resources → configuration → review. Each step checks
// its own fields with the server's schema; the last one submits and follows the task.
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { GuestKind, Image } from "@/server/contract";
import { errorMessage } from "../api/client";
import { createGuest } from "../api/guests";
import { listImages } from "../api/images";
import { createVolume } from "../api/storage";
import { useHost } from "../guests/use-host";
import { useHasRole } from "../session-provider";
import { Field } from "../ui/field";
import { TagInput } from "../ui/tag-input";
import { ContainerFields } from "./container-fields";
import { CreateProgress } from "./create-progress";
import { defaultDraft, newVolumes, stepOf, steps, validate, type Draft, type Step } from "./form-model";
import { ImagePicker } from "./image-picker";
import { KindSwitch } from "./kind-switch";
import { ResourceFields } from "./resource-fields";
import { Review } from "./review";
import { VmFields } from "./vm-fields";

const DEMO_IMAGE: Record<GuestKind, string> = { vm: "demo-vm", container: "demo-busybox" };

export function CreateWizard() {
  const params = useSearchParams();
  const router = useRouter();
  const canOperate = useHasRole("operator");
  const initialKind: GuestKind = params.get("kind") === "vm" ? "vm" : "container";
  const [draft, setDraft] = useState<Draft>(() => defaultDraft(initialKind));
  const [step, setStep] = useState<Step>("Source");
  const [shown, setShown] = useState<Set<Step>>(new Set());
  const [images, setImages] = useState<Image[] | null>(null);
  const [imagesError, setImagesError] = useState<string | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ taskId: string; guestId: string; name: string } | null>(null);
  const { host } = useHost();
  // New volumes already made by an earlier attempt, so a retry after a failed create reuses them.
  const madeVolumes = useRef(new Set<string>());

  useEffect(() => {
    listImages().then(setImages, (e) => setImagesError(errorMessage(e)));
  }, []);

  // Pick a sensible image for the kind: the demo one if present, else the first.
  const kindImages = useMemo(() => images?.filter((i) => i.kind === draft.kind) ?? [], [images, draft.kind]);
  const image = kindImages.some((i) => i.id === draft.image)
    ? draft.image
    : ((kindImages.find((i) => i.id === DEMO_IMAGE[draft.kind]) ?? kindImages[0])?.id ?? "");
  const effective = { ...draft, image };
  const { body, errors } = validate(effective, host);
  const visibleErrors = Object.fromEntries(Object.entries(errors).filter(([f]) => shown.has(stepOf(f))));

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const setKind = (k: GuestKind) => {
    if (k === draft.kind) return;
    const fresh = defaultDraft(k);
    setDraft((d) => ({ ...fresh, tags: d.tags, name: d.name.replace(/^(vm|ct)-/, k === "vm" ? "vm-" : "ct-") }));
    router.replace(`/guests/new?kind=${k}`, { scroll: false });
  };

  const index = steps.indexOf(step);
  const stepHasErrors = (s: Step) => Object.keys(errors).some((f) => stepOf(f) === s);
  function next(e?: FormEvent) {
    e?.preventDefault();
    setShown((s) => new Set(s).add(step));
    if (step === "Review") return void submit();
    if (stepHasErrors(step)) return;
    setStep(steps[index + 1]!);
  }
  async function submit() {
    setShown(new Set(steps));
    if (!body) {
      const first = steps.find(stepHasErrors);
      if (first) setStep(first);
      return;
    }
    setBusy(true);
    setSubmitError(null);
    try {
      for (const v of newVolumes(effective)) {
        if (madeVolumes.current.has(v.name)) continue;
        await createVolume({ name: v.name, sizeGiB: v.sizeGiB, use: "filesystem" });
        madeVolumes.current.add(v.name);
      }
      const r = await createGuest(body);
      setCreated({ taskId: r.taskId, guestId: r.guest.id, name: r.guest.name });
    } catch (err) {
      setSubmitError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (created) return <CreateProgress {...created} onBack={() => setCreated(null)} />;
  if (!canOperate) return <p className="muted">Creating guests needs the operator role.</p>;

  return (
    <form onSubmit={next} noValidate className="max-w-3xl space-y-5" aria-labelledby="create-heading">
      <h1 id="create-heading" className="text-lg font-semibold">
        Create a {draft.kind === "vm" ? "virtual machine" : "container"}
      </h1>
      <ol className="flex flex-wrap gap-2 text-sm" aria-label="Steps">
        {steps.map((s, i) => (
          <li key={s}>
            <button
              type="button"
              aria-current={s === step ? "step" : undefined}
              disabled={i > index && steps.slice(0, i).some(stepHasErrors)}
              onClick={() => {
                setShown((x) => new Set(x).add(step));
                setStep(s);
              }}
              className={`rounded-full px-3 py-1 font-medium ${
                s === step
                  ? "bg-blue-600 text-white"
                  : "bg-zinc-200 text-zinc-700 hover:bg-zinc-300 disabled:opacity-50 dark:bg-zinc-800 dark:text-zinc-300"
              }`}
            >
              {i + 1}. {s}
              {shown.has(s) && stepHasErrors(s) && <span className="sr-only"> (has errors)</span>}
            </button>
          </li>
        ))}
      </ol>
      <div className="card space-y-5 p-4 sm:p-5">
        {step === "Source" && (
          <>
            <KindSwitch value={draft.kind} onChange={setKind} />
            <Field label="Name" error={visibleErrors.name} hint="Letters, digits, '-', '_' and '.'.">
              <input
                className="input"
                value={draft.name}
                onChange={(e) => set("name", e.target.value)}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
            <ImagePicker
              images={images}
              kind={draft.kind}
              value={image}
              onChange={(id) => set("image", id)}
              error={visibleErrors.image}
              loadError={imagesError}
            />
          </>
        )}
        {step === "Resources" && <ResourceFields draft={effective} set={set} errors={visibleErrors} host={host} />}
        {step === "Configure" && (
          <>
            {draft.kind === "vm" ? (
              <VmFields draft={draft} set={set} errors={visibleErrors} />
            ) : (
              <ContainerFields draft={draft} set={set} errors={visibleErrors} />
            )}
            <Field label="Tags" error={visibleErrors.tags}>
              <TagInput value={draft.tags} onChange={(t) => set("tags", t)} />
            </Field>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={draft.start} onChange={(e) => set("start", e.target.checked)} />
              Start it when it is created
            </label>
          </>
        )}
        {step === "Review" &&
          (body ? (
            <Review
              body={body}
              image={images?.find((i) => i.id === body.image)}
              newNames={newVolumes(effective).map((v) => v.name)}
            />
          ) : (
            <p role="alert" className="text-sm text-red-600">
              Some fields need attention:{" "}
              {Object.entries(errors)
                .map(([f, m]) => `${f}: ${m}`)
                .join("; ")}
            </p>
          ))}
      </div>
      {submitError && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {submitError}
        </p>
      )}
      <div className="flex gap-2">
        {index > 0 && (
          <button type="button" className="btn" onClick={() => setStep(steps[index - 1]!)}>
            Back
          </button>
        )}
        <button type="submit" className="btn-primary" disabled={busy}>
          {step === "Review" ? (busy ? "Creating…" : `Create ${draft.kind === "vm" ? "VM" : "container"}`) : "Next"}
        </button>
        {step !== "Review" && !stepHasErrors("Source") && (
          <button type="button" className="btn" onClick={() => setStep("Review")}>
            Skip to review
          </button>
        )}
      </div>
    </form>
  );
}
